using System.Text.Json.Serialization;

namespace Dypls.Emulator;

/// <summary>The answer of POST /_emulator/queues/{name}: one MessageId and one CallId (null when a raw body has none) per message enqueued.</summary>
internal sealed record ReceiptBatch(
    [property: JsonPropertyName("queue")] string Queue,
    [property: JsonPropertyName("messageType")] string MessageType,
    [property: JsonPropertyName("messageIds")] IReadOnlyList<string> MessageIds,
    [property: JsonPropertyName("callIds")] IReadOnlyList<string?> CallIds);
