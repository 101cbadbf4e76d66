namespace Dypls.Emulator;

/// <summary>
/// What POST /_emulator/queues/{name} asks for: <paramref name="Count"/> generated receipts, <paramref name="Duplicates"/>
/// of them enqueued a second time as other messages, <paramref name="NoRecording"/> poison receipts (CallIds starting with
/// norecord) and raw JSON <paramref name="Bodies"/> as they are. <paramref name="MessageType"/> picks the generated kind
/// (SecretRecording or SecretReport); null uses the queue's type.
/// </summary>
internal sealed record ReceiptRequest(int Count, string CallIdPrefix, int Duplicates, int NoRecording, IReadOnlyList<string> Bodies, string? MessageType);
