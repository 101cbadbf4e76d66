using System.Collections.Generic;

namespace Dypls.Receipts
{
    /// <summary>One record of a receipt body: its fields, as .NET values, in body order.</summary>
    internal sealed class ReceiptRecord
    {
        public ReceiptRecord(Dictionary<string, object?> fields, string json)
        {
            Fields = fields;
            Json = json;
        }

        public Dictionary<string, object?> Fields { get; }

        /// <summary>This record's JSON text.</summary>
        public string Json { get; }

        public string? Text(string name) => Fields.TryGetValue(name, out var v) && v != null ? System.Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}
