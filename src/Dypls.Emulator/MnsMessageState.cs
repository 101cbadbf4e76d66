using System.Text.Json.Serialization;

namespace Dypls.Emulator;

/// <summary>One message in GET /_emulator/queues/{name}: <c>visible</c> is false while it is received and not yet back.</summary>
internal sealed record MnsMessageState(
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("callId")] string? CallId,
    [property: JsonPropertyName("dequeueCount")] int DequeueCount,
    [property: JsonPropertyName("visible")] bool Visible);
