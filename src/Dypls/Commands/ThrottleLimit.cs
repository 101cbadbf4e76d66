using System;
using System.Globalization;

namespace Dypls.Commands
{
    /// <summary>
    /// -ThrottleLimit: "Auto" (the default: Dypls finds the concurrency that gives the most recordings per second) or a
    /// fixed number from 1 to 256. PowerShell binds a number through the int constructor and text through Parse.
    /// </summary>
    public sealed class ThrottleLimit
    {
        public const int Max = 256;

        public static readonly ThrottleLimit Auto = new ThrottleLimit();

        private ThrottleLimit() { }

        public ThrottleLimit(int value)
        {
            if (value < 1 || value > Max)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"-ThrottleLimit takes Auto or a number from 1 to {Max}.");
            Value = value;
        }

        /// <summary>The fixed number; null for Auto.</summary>
        public int? Value { get; }

        public static ThrottleLimit Parse(string text)
        {
            var t = (text ?? string.Empty).Trim();
            if (string.Equals(t, "Auto", StringComparison.OrdinalIgnoreCase)) return Auto;
            if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return new ThrottleLimit(n);
            throw new FormatException($"-ThrottleLimit takes Auto or a number from 1 to {Max}, not '{text}'.");
        }

        public override string ToString() => Value?.ToString(CultureInfo.InvariantCulture) ?? "Auto";
    }
}
