namespace Dypls.Emulator;

/// <summary>What a receipt handle turned out to be when a client used it to delete or to change visibility.</summary>
internal enum MnsHandleOutcome
{
    /// <summary>The current handle of an invisible message: the operation was applied.</summary>
    Applied,

    /// <summary>Well formed, but not the current handle of an invisible message (stale, or the message is gone): MessageNotExist.</summary>
    Stale,

    /// <summary>Not a handle this queue could have issued: ReceiptHandleError.</summary>
    Malformed,
}
