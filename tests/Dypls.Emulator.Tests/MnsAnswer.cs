using System.Net;
using System.Net.Http.Headers;
using System.Xml.Linq;

namespace Dypls.Emulator.Tests;

/// <summary>An MNS answer: status, raw body, its XML (local names only) and the response headers.</summary>
internal sealed class MnsAnswer
{
    public MnsAnswer(HttpStatusCode status, string body, string? contentType, HttpResponseHeaders headers)
    {
        Status = status;
        Body = body;
        ContentType = contentType;
        Headers = headers;
        Xml = body.TrimStart().StartsWith('<') ? XDocument.Parse(body) : null;
    }

    public HttpStatusCode Status { get; }
    public string Body { get; }
    public string? ContentType { get; }
    public HttpResponseHeaders Headers { get; }
    public XDocument? Xml { get; }

    public string? RootName => Xml?.Root?.Name.LocalName;

    /// <summary>The first element of that local name anywhere in the body.</summary>
    public string? this[string name] => Xml?.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>The Code of an &lt;Error&gt; answer.</summary>
    public string? ErrorCode => RootName == "Error" ? this["Code"] : null;

    /// <summary>Each &lt;Message&gt; as a name→value map (a single receive gives one).</summary>
    public List<Dictionary<string, string>> Messages =>
        Xml is null ? new()
        : (RootName == "Message" ? new[] { Xml.Root! } : Xml.Root!.Elements().Where(e => e.Name.LocalName == "Message"))
            .Select(m => m.Elements().ToDictionary(e => e.Name.LocalName, e => e.Value)).ToList();

    public override string ToString() => (int)Status + " " + Body;
}
