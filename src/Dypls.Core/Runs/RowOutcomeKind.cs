using System;

namespace Dypls.Runs
{
    internal enum RowOutcomeKind
    {
        /// <summary>The row's result: write it.</summary>
        Result,

        /// <summary>The row failed on its own: write its error, with the row as its target.</summary>
        Failed,

        /// <summary>The user stopped the run (Ctrl+C).</summary>
        Cancelled,
    }
}
