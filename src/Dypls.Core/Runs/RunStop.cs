namespace Dypls.Runs
{
    /// <summary>The failure that stopped a run: the first that every row would have hit alike.</summary>
    internal sealed class RunStop
    {
        public RunStop(DyplsException exception) => Exception = exception;

        public DyplsException Exception { get; }

        /// <summary>The row it happened on, once known (the TargetObject of the one error).</summary>
        public object? Row { get; internal set; }

        /// <summary>The one error's message: what happened, what was done, and what to do.</summary>
        public string Describe(int rowsDone, int rowsFailed) =>
            Exception.Message + $" The run stopped here: {rowsDone} row(s) finished, {rowsFailed} failed on their own, the rest were not done; run the same command again once this is fixed.";
    }
}
