using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Xml.Linq;

namespace Dypls.Emulator.Tests;

/// <summary>An RPC answer, readable the same way whether it came back as JSON or XML.</summary>
internal sealed class RpcResult
{
    public RpcResult(HttpStatusCode status, string body, string? mediaType, HttpResponseHeaders headers, IDictionary<string, string> sent)
    {
        Status = status;
        Body = body;
        MediaType = mediaType;
        Headers = headers;
        Sent = sent;
        if (body.TrimStart().StartsWith('<'))
        {
            Xml = XDocument.Parse(body);
        }
        else
        {
            Json = JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    public HttpStatusCode Status { get; }
    public string Body { get; }
    public string? MediaType { get; }
    public HttpResponseHeaders Headers { get; }
    public IDictionary<string, string> Sent { get; }
    public JsonElement? Json { get; }
    public XDocument? Xml { get; }

    public string? this[string field] =>
        Json is { } json
            ? (json.TryGetProperty(field, out var v) ? v.GetString() : null)
            : Xml!.Root!.Element(field)?.Value;

    public override string ToString() => (int)Status + " " + Body;
}
