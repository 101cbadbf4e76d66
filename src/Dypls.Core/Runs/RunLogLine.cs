namespace Dypls.Runs
{
    /// <summary>A line a worker wants written to the verbose (or debug) stream; the pipeline thread writes it.</summary>
    internal readonly struct RunLogLine
    {
        public RunLogLine(bool isDebug, string text)
        {
            IsDebug = isDebug;
            Text = text;
        }

        public bool IsDebug { get; }
        public string Text { get; }
    }
}
