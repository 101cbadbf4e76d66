using System;

namespace Dypls.Runs
{

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
