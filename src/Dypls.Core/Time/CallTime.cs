using System;
using System.Globalization;

namespace Dypls.Time
{
    /// <summary>
    /// The service identifies a call by its start time as "yyyy-MM-dd HH:mm:ss" in China Standard Time
    /// (UTC+8, no daylight saving). This turns what users have — that string, [datetime] of any Kind,
    /// [datetimeoffset], ISO 8601 text, or Unix epoch milliseconds/seconds from the receipts — into it.
    /// </summary>
    internal static class CallTime
    {
        public const string ServiceFormat = "yyyy-MM-dd HH:mm:ss";
        public static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

        // Epoch values at or above this are milliseconds (1e11 ms is 1973; 1e11 s is year 5138).
        private const long MillisecondsThreshold = 100_000_000_000L;

        /// <summary>Converts <paramref name="value"/> to the Beijing-time instant. Throws <see cref="DyplsException"/> "InvalidCallTime".</summary>
        public static DateTimeOffset ToBeijing(object? value, DateTimeOffset? now = null)
        {
            var result = Convert(value);
            var reference = now ?? DateTimeOffset.UtcNow;
            // Clocks differ a little; anything more than a day ahead cannot be a finished call.
            if (result > reference.AddDays(1))
            {
                throw Invalid(value, $"it is in the future ({Format(result)} Beijing time)");
            }
            if (result.Year < 2000)
            {
                throw Invalid(value, $"it is before the year 2000 ({Format(result)} Beijing time)");
            }
            return result;
        }

        /// <summary>The service's string for <paramref name="value"/>.</summary>
        public static string ToServiceString(object? value, DateTimeOffset? now = null) => Format(ToBeijing(value, now));

        public static string Format(DateTimeOffset instant) =>
            instant.ToOffset(BeijingOffset).ToString(ServiceFormat, CultureInfo.InvariantCulture);

        private static DateTimeOffset Convert(object? value)
        {
            switch (value)
            {
                case null:
                    throw Invalid(value, "it is empty");
                case DateTimeOffset dto:
                    return dto.ToOffset(BeijingOffset);
                case DateTime dt:
                    return FromDateTime(dt);
                case long l:
                    return FromEpoch(l, value);
                case int i:
                    return FromEpoch(i, value);
                case double d when d == Math.Floor(d) && !double.IsInfinity(d):
                    return FromEpoch((long)d, value);
                case decimal m when m == decimal.Floor(m):
                    return FromEpoch((long)m, value);
                case string s:
                    return FromString(s, value);
                default:
                    // PSObject and friends arrive unwrapped from the cmdlet; anything else goes through its text.
                    return FromString(System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty, value);
            }
        }

        private static DateTimeOffset FromDateTime(DateTime dt)
        {
            // Kind Unspecified is read as local time, as .NET's ToUniversalTime does; Utc and Local are exact.
            var utc = dt.Kind == DateTimeKind.Utc ? dt : dt.ToUniversalTime();
            return new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToOffset(BeijingOffset);
        }

        private static DateTimeOffset FromEpoch(long epoch, object? original)
        {
            if (epoch <= 0) throw Invalid(original, "an epoch time must be positive");
            try
            {
                var instant = epoch >= MillisecondsThreshold
                    ? DateTimeOffset.FromUnixTimeMilliseconds(epoch)
                    : DateTimeOffset.FromUnixTimeSeconds(epoch);
                return instant.ToOffset(BeijingOffset);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw Invalid(original, "the epoch value is out of range");
            }
        }

        private static readonly string[] BeijingLocalFormats =
        {
            "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd H:mm:ss", "yyyy-M-d H:mm:ss", "yyyy-M-d HH:mm:ss",
            "yyyy/MM/dd HH:mm:ss", "yyyy/M/d H:mm:ss", "yyyy/M/d HH:mm:ss",
            "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        };

        private static DateTimeOffset FromString(string text, object? original)
        {
            var s = text.Trim();
            if (s.Length == 0) throw Invalid(original, "it is empty");

            if (IsAllDigits(s))
            {
                if (s.Length > 18 || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
                {
                    throw Invalid(original, "the number is too large for an epoch time");
                }
                return FromEpoch(epoch, original);
            }

            // Text without an offset is Beijing time: that is what the console, receipts and API use.
            if (DateTime.TryParseExact(s, BeijingLocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            {
                return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), BeijingOffset);
            }

            // ISO 8601 with an explicit offset or Z is exact.
            if (HasExplicitOffset(s) &&
                DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var withOffset))
            {
                return withOffset.ToOffset(BeijingOffset);
            }

            throw Invalid(original, "use 'yyyy-MM-dd HH:mm:ss' (Beijing time), an ISO 8601 time with an offset, a [datetime], or Unix epoch milliseconds");
        }

        private static bool HasExplicitOffset(string s)
        {
            if (s.EndsWith("Z", StringComparison.OrdinalIgnoreCase)) return true;
            var t = s.IndexOf('T');
            if (t < 0) t = s.IndexOf(' ');
            if (t < 0) return false;
            var timePart = s.Substring(t + 1);
            return timePart.IndexOf('+') >= 0 || timePart.IndexOf('-') >= 0;
        }

        private static bool IsAllDigits(string s)
        {
            foreach (var c in s)
            {
                if (c < '0' || c > '9') return false;
            }
            return true;
        }

        private static DyplsException Invalid(object? value, string why)
        {
            var shown = value is null ? "(null)" : MessageText.Shorten(System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            return new DyplsException("InvalidCallTime", $"CallTime '{shown}' cannot be used: {why}.", category: FailureCategory.InvalidArgument);
        }

    }
}
