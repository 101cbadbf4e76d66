using System.Text.Json;

namespace Dypls.Credentials
{
    /// <summary>Reads fields of the JSON answers and outputs that carry credentials.</summary>
    internal static class JsonFields
    {
        /// <summary>The string value of a property of an object; null when it is missing or not a string (a number, null, an object).</summary>
        internal static string? Text(JsonElement obj, string name) =>
            obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
