using System.Text.Json.Serialization;

namespace Dypls.Emulator;

/// <summary>The JSON of GET /_emulator/queues/{name}: counts, then every message still in the queue.</summary>
internal sealed record MnsQueueState(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("messageType")] string MessageType,
    [property: JsonPropertyName("visible")] int Visible,
    [property: JsonPropertyName("inFlight")] int InFlight,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("deleted")] long Deleted,
    [property: JsonPropertyName("messages")] IReadOnlyList<MnsMessageState> Messages);
