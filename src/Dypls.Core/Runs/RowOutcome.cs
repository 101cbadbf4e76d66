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

    /// <summary>One finished row, in input order.</summary>
    internal readonly struct RowOutcome<TResult>
    {
        public RowOutcome(object row, RowOutcomeKind kind, TResult result, Exception? error)
        {
            Row = row;
            Kind = kind;
            Result = result;
            Error = error;
        }

        /// <summary>The input row as it came (the TargetObject of its error).</summary>
        public object Row { get; }
        public RowOutcomeKind Kind { get; }
        public TResult Result { get; }
        public Exception? Error { get; }
    }
}
