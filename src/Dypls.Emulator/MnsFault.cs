namespace Dypls.Emulator;

/// <summary>What the fault roll (or a budget) decided for one MNS request.</summary>
public enum MnsFault
{
    None,

    /// <summary>500 InternalError with the MNS error body.</summary>
    InternalError,

    /// <summary>The connection is dropped without an answer.</summary>
    Reset,

    /// <summary>The answer comes, but only after <see cref="EmulatorFaults.MnsSlowMs"/>.</summary>
    Slow,
}
