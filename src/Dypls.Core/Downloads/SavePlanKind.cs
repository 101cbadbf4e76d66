namespace Dypls.Downloads
{
    /// <summary>What a run does with one row.</summary>
    internal enum SavePlanKind
    {
        /// <summary>The row cannot be saved (no usable file name, an unsafe URL): <see cref="SavePlan.Error"/> says why.</summary>
        Invalid,

        /// <summary>A finished file is already there: report it, send nothing.</summary>
        Skip,

        /// <summary>An earlier row of this run saves the same file: report that row's result.</summary>
        Duplicate,

        /// <summary>Save it (with <see cref="SavePlan.KnownUrl"/> when the row brought a usable one).</summary>
        Download,
    }
}
