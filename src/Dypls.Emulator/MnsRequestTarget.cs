namespace Dypls.Emulator;

/// <summary>
/// The request target exactly as received, split the way MNS reads it: the resource that is signed (path and query
/// untouched), the queue name from the path, and the query parameters by case-insensitive name.
/// </summary>
internal sealed class MnsRequestTarget
{
    private const string QueuesPrefix = "/queues/";
    private const string MessagesSuffix = "/messages";

    private MnsRequestTarget(string resource, string? queueName, Dictionary<string, string> query)
    {
        Resource = resource;
        QueueName = queueName;
        Query = query;
    }

    /// <summary>What the client signed: path + "?" + query as sent (an absolute-form target loses only its scheme and host).</summary>
    public string Resource { get; }

    /// <summary>The queue of /queues/{name}/messages, percent-decoded; null for any other path.</summary>
    public string? QueueName { get; }

    /// <summary>Names compared case-insensitively (SDKs send ReceiptHandle and receiptHandle, numOfMessages and NumOfMessages).</summary>
    public Dictionary<string, string> Query { get; }

    public string? this[string name] => Query.TryGetValue(name, out var value) ? value : null;

    public static MnsRequestTarget Parse(string rawTarget)
    {
        var resource = rawTarget;
        if (resource.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || resource.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var pathStart = resource.IndexOf('/', resource.IndexOf("//", StringComparison.Ordinal) + 2);
            resource = pathStart < 0 ? "/" : resource[pathStart..];
        }
        var question = resource.IndexOf('?');
        var path = question < 0 ? resource : resource[..question];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (question >= 0)
        {
            // Split on & and the first =, percent-decode only: '+' stays '+', since receipt handles are base64 and go unescaped.
            foreach (var pair in resource[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var name = Decode(eq < 0 ? pair : pair[..eq]);
                query[name] = eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
            }
        }
        string? queue = null;
        if (path.StartsWith(QueuesPrefix, StringComparison.Ordinal) && path.EndsWith(MessagesSuffix, StringComparison.Ordinal) &&
            path.Length > QueuesPrefix.Length + MessagesSuffix.Length)
        {
            var segment = path[QueuesPrefix.Length..^MessagesSuffix.Length];
            queue = segment.Contains('/', StringComparison.Ordinal) ? null : Decode(segment);
        }
        return new MnsRequestTarget(resource, queue, query);
    }

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
