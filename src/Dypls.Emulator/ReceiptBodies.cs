using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dypls.Emulator;

/// <summary>
/// The receipt bodies Alibaba puts on the alicom queues (SecretRecording, SecretReport), encoded as MNS carries them:
/// base64 of the UTF-8 JSON.
/// </summary>
internal static class ReceiptBodies
{
    public const string SecretRecording = "SecretRecording";
    public const string SecretReport = "SecretReport";
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A SecretRecording receipt. The docs disagree on the binding's field name and call_time's JSON type, so the
    /// receipts vary by <paramref name="index"/>: every second one says subs_id instead of sub_id, every third one
    /// carries call_time as a numeric string instead of a number.
    /// </summary>
    public static string Recording(string callId, long callTimeMs, int index)
    {
        var body = new JsonObject { ["pool_key"] = EmulatorDefaults.ReceiptPoolKey };
        body[index % 2 == 1 ? "subs_id" : "sub_id"] = 100000000000L + index;
        body["call_id"] = callId;
        body["call_time"] = index % 3 == 2 ? JsonValue.Create(callTimeMs.ToString(CultureInfo.InvariantCulture)) : JsonValue.Create(callTimeMs);
        body["out_id"] = "out-" + index.ToString(CultureInfo.InvariantCulture);
        return body.ToJsonString(Json);
    }

    /// <summary>A SecretReport (the call detail record): string times in Beijing time and a signed record_url of this emulator.</summary>
    public static string Report(string callId, long callTimeMs, int index, string recordUrl)
    {
        var call = DateTimeOffset.FromUnixTimeMilliseconds(callTimeMs);
        string At(int seconds) => MnsTokenEndpoint.BeijingTime(call.AddSeconds(seconds));
        var body = new JsonObject
        {
            ["pool_key"] = EmulatorDefaults.ReceiptPoolKey,
            ["sub_id"] = 100000000000L + index,
            ["call_id"] = callId,
            ["phone_no"] = "13800000000",
            ["secret_no"] = "17000000000",
            ["peer_no"] = "13900000000",
            ["called_display_no"] = "17000000000",
            ["call_type"] = 0,
            ["call_time"] = At(0),
            ["start_time"] = At(5),
            ["call_out_time"] = At(1),
            ["ring_time"] = At(2),
            ["free_ring_time"] = At(5),
            ["release_time"] = At(65),
            ["sms_number"] = 0,
            ["release_dir"] = 1,
            ["release_cause"] = 16,
            ["record_url"] = recordUrl,
            ["ring_record_url"] = string.Empty,
            ["out_id"] = "out-" + index.ToString(CultureInfo.InvariantCulture),
            ["unconnected_cause"] = 0,
            ["control_type"] = string.Empty,
            ["control_msg"] = string.Empty,
            ["partner_key"] = string.Empty,
            ["id"] = 9000000000L + index,
            ["city"] = "Hangzhou",
        };
        return body.ToJsonString(Json);
    }

    /// <summary>The MessageBody of a receipt: base64 of its UTF-8 JSON.</summary>
    public static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    /// <summary>
    /// The call_id and call_time (epoch ms) of a receipt's JSON, an object or an array whose first object counts;
    /// call_time as a number, a numeric string, or a Beijing "yyyy-MM-dd HH:mm:ss" string. Nulls for what is not there.
    /// </summary>
    public static (string? CallId, long? CallTimeMs) Read(string json)
    {
        try
        {
            var node = JsonNode.Parse(json);
            if (node is JsonArray array)
            {
                node = array.FirstOrDefault(n => n is JsonObject);
            }
            if (node is not JsonObject obj)
            {
                return (null, null);
            }
            var callId = obj["call_id"] is JsonValue id && id.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
            return (callId, CallTimeOf(obj["call_time"]));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static long? CallTimeOf(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }
        if (value.TryGetValue<long>(out var ms))
        {
            return ms;
        }
        if (!value.TryGetValue<string>(out var text))
        {
            return null;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms))
        {
            return ms;
        }
        return DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, EmulatorDefaults.CallTimeOffset).ToUnixTimeMilliseconds()
            : null;
    }
}
