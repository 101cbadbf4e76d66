using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>Writes RPC answers the way the gateway does: JSON by default, XML when Format=XML.</summary>
internal static class RpcResponseWriter
{
    // Relaxed escaping keeps '&' and '+' in DownloadUrl readable, as Alibaba's own JSON does.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static bool WantsXml(IReadOnlyDictionary<string, string> parameters) =>
        parameters.TryGetValue("Format", out var format) && string.Equals(format, "XML", StringComparison.OrdinalIgnoreCase);

    public static string NewRequestId() => Guid.NewGuid().ToString("D").ToUpperInvariant();

    public static Task WriteGatewayErrorAsync(HttpContext context, GatewayError error, string requestId, bool xml) =>
        WriteAsync(context, error.StatusCode, "Error", GatewayFields(error, requestId), xml);

    /// <summary>A gateway error of another product on the same gateway (its HostId and troubleshooting link).</summary>
    public static Task WriteGatewayErrorAsync(HttpContext context, GatewayError error, string requestId, bool xml, string product, string hostId) =>
        WriteAsync(context, error.StatusCode, "Error", GatewayFields(error, requestId, product, hostId), xml);

    /// <summary>
    /// The status, headers and the first part of a gateway error body whose Content-Length promises more, then
    /// nothing until the client gives up or the server stops (the endless-error fault).
    /// </summary>
    public static async Task WriteEndlessGatewayErrorAsync(HttpContext context, GatewayError error, string requestId, bool xml, CancellationToken stopping)
    {
        var body = Render(context, "Error", GatewayFields(error, requestId), xml);
        context.Response.StatusCode = error.StatusCode;
        context.Response.ContentLength = body.Length;
        // Up to the Code: the RequestId is there, the Code is not.
        var cut = Encoding.UTF8.GetString(body).IndexOf("Code", StringComparison.Ordinal) - 1;
        await context.Response.Body.WriteAsync(body.AsMemory(0, Math.Max(1, cut)), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await FaultHelpers.StallAsync(context, stopping);
    }

    private static List<KeyValuePair<string, string>> GatewayFields(GatewayError error, string requestId,
        string product = "Dyplsapi", string hostId = EmulatorDefaults.ApiHostId)
    {
        var recommend = "https://api.aliyun.com/troubleshoot?q=" + Uri.EscapeDataString(error.Code) + "&product=" + product;
        var fields = new List<KeyValuePair<string, string>>
        {
            new("RequestId", requestId),
            new("HostId", hostId),
            new("Code", error.Code),
            new("Message", error.Message),
            new("Recommend", recommend),
        };
        return fields;
    }

    /// <summary>The product's own answer (HTTP 200), successful or not.</summary>
    public static Task WriteProductAsync(HttpContext context, string requestId, string code, string message, string? downloadUrl, bool xml)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("RequestId", requestId),
            new("Code", code),
            new("Message", message),
        };
        if (downloadUrl is not null)
        {
            fields.Add(new("DownloadUrl", downloadUrl));
        }
        return WriteAsync(context, 200, EmulatorDefaults.Action + "Response", fields, xml);
    }

    private static async Task WriteAsync(HttpContext context, int status, string xmlRoot, List<KeyValuePair<string, string>> fields, bool xml)
    {
        var body = Render(context, xmlRoot, fields, xml);
        context.Response.StatusCode = status;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The body bytes; sets the Content-Type.</summary>
    private static byte[] Render(HttpContext context, string xmlRoot, List<KeyValuePair<string, string>> fields, bool xml)
    {
        byte[] body;
        if (xml)
        {
            var sb = new StringBuilder();
            var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false, OmitXmlDeclaration = true };
            using (var writer = XmlWriter.Create(sb, settings))
            {
                writer.WriteStartElement(xmlRoot);
                foreach (var f in fields)
                {
                    writer.WriteElementString(f.Key, f.Value);
                }
                writer.WriteEndElement();
            }
            body = Encoding.UTF8.GetBytes("<?xml version='1.0' encoding='UTF-8'?>" + sb);
            context.Response.ContentType = "text/xml;charset=utf-8";
        }
        else
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, JsonOptions))
            {
                writer.WriteStartObject();
                foreach (var f in fields)
                {
                    writer.WriteString(f.Key, f.Value);
                }
                writer.WriteEndObject();
            }
            body = stream.ToArray();
            context.Response.ContentType = "application/json;charset=utf-8";
        }
        return body;
    }
}
