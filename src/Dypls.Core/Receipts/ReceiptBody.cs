using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dypls.Receipts
{
    /// <summary>
    /// Reads an MNS message body of an Alicom receipt queue: base64 of UTF-8 JSON, one object or an array of them (the
    /// HTTP push form sends arrays; queues are documented with one object). A body that is JSON already is read as is.
    /// </summary>
    internal static class ReceiptBody
    {
        /// <summary>The decoded JSON text, or null when the body is neither base64 of JSON nor JSON.</summary>
        public static string? Decode(string messageBody)
        {
            var body = (messageBody ?? string.Empty).Trim();
            if (body.Length == 0) return null;
            if (body[0] == '{' || body[0] == '[') return body;
            try
            {
                var text = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(body)).Trim();
                if (text.Length > 0 && text[0] == '\uFEFF') text = text.Substring(1);
                return text.Length > 0 && (text[0] == '{' || text[0] == '[') ? text : null;
            }
            catch (Exception ex) when (ex is FormatException || ex is DecoderFallbackException)
            {
                return null;
            }
        }

        /// <summary>The records of a decoded body; empty when it is not a JSON object or array of objects.</summary>
        public static List<ReceiptRecord> Records(string json)
        {
            var records = new List<ReceiptRecord>();
            try
            {
                using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object) records.Add(Record(root));
                else if (root.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in root.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object) records.Add(Record(item));
                    }
                }
            }
            catch (JsonException)
            {
            }
            return records;
        }

        private static ReceiptRecord Record(JsonElement obj)
        {
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject()) fields[p.Name] = Value(p.Value);
            return new ReceiptRecord(fields, obj.GetRawText());
        }

        private static object? Value(JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.String: return v.GetString();
                case JsonValueKind.Number:
                    if (v.TryGetInt64(out var l)) return l;
                    if (decimal.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m)) return m;
                    return v.GetDouble();
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.Null: return null;
                default: return v.GetRawText();
            }
        }
    }
}
