using System.Threading.Tasks;

namespace Dypls.Downloads
{
    /// <summary>What to do with one input row; decided without touching the network.</summary>
    internal sealed class SavePlan
    {
        private SavePlan(SavePlanKind kind) { Kind = kind; }

        public SavePlanKind Kind { get; private set; }
        public string FinalBase { get; private set; } = string.Empty;
        public string? ExistingPath { get; private set; }
        /// <summary>The earlier row's work, for a duplicate.</summary>
        public Task? Original { get; private set; }
        public FetchTarget? KnownUrl { get; private set; }
        public DyplsException? Error { get; private set; }

        internal static SavePlan Invalid(DyplsException error) => new SavePlan(SavePlanKind.Invalid) { Error = error };
        internal static SavePlan Skip(string finalBase, string existing) => new SavePlan(SavePlanKind.Skip) { FinalBase = finalBase, ExistingPath = existing };
        internal static SavePlan Duplicate(string finalBase, Task original) => new SavePlan(SavePlanKind.Duplicate) { FinalBase = finalBase, Original = original };
        internal static SavePlan Download(string finalBase, FetchTarget? url) => new SavePlan(SavePlanKind.Download) { FinalBase = finalBase, KnownUrl = url };
    }
}
