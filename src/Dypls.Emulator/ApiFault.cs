namespace Dypls.Emulator;

/// <summary>What the fault roll decided for one RPC request.</summary>
public enum ApiFault
{
    None,
    InternalError,
    ServiceUnavailable,
    Throttle,
    SystemError,
    Reset,
    Stall,

    /// <summary>400 with headers and the start of a gateway body, then nothing.</summary>
    EndlessError,
}
