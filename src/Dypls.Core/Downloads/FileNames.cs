using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Dypls.Downloads
{
    /// <summary>
    /// Turns a call into a relative file name (without extension) from a template such as "{CallId}" or
    /// "{PoolKey}/{CallDate}/{CallId}". Every segment is made safe for Windows, macOS and Linux, so a
    /// CallId can never climb out of the destination or hit a reserved device name.
    /// </summary>
    internal sealed class FileNameTemplate
    {
        public const string Default = "{CallId}";

        private static readonly char[] SegmentSeparators = { '/', '\\' };
        private static readonly Regex Token = new Regex(@"\{(?<name>[A-Za-z]+)\}", RegexOptions.CultureInvariant);
        private static readonly HashSet<string> Tokens = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "CallId", "PoolKey", "CallTime", "CallDate", "CallMonth",
        };

        private readonly string[] _segments;

        public FileNameTemplate(string? template)
        {
            var t = string.IsNullOrWhiteSpace(template) ? Default : template!.Trim();
            foreach (Match m in Token.Matches(t))
            {
                if (!Tokens.Contains(m.Groups["name"].Value))
                    throw new DyplsException("InvalidFileNameTemplate", $"The file name template '{t}' uses an unknown token {m.Value}. Use {{CallId}}, {{PoolKey}}, {{CallTime}}, {{CallDate}} or {{CallMonth}}.", category: FailureCategory.InvalidArgument);
            }
            // Without the CallId every call of a day or pool would share one name.
            if (t.IndexOf("{CallId}", StringComparison.OrdinalIgnoreCase) < 0)
                throw new DyplsException("InvalidFileNameTemplate", $"The file name template '{t}' must contain {{CallId}}, or different calls would get the same file name.", category: FailureCategory.InvalidArgument);
            // Never empty: "{CallId}" is in one of the segments.
            _segments = t.Split(SegmentSeparators, StringSplitOptions.RemoveEmptyEntries);
            Template = t;
        }

        public string Template { get; }

        /// <summary>Relative path without extension, segments joined with the platform separator.</summary>
        /// <param name="callTime">When the call started; its Beijing wall-clock time names the file, as the console shows it.</param>
        public string Render(string callId, DateTimeOffset callTime, string poolKey)
        {
            var time = callTime.ToOffset(Time.CallTime.BeijingOffset).DateTime;
            var parts = new string[_segments.Length];
            for (var i = 0; i < _segments.Length; i++)
            {
                var raw = Token.Replace(_segments[i], m =>
                {
                    switch (m.Groups["name"].Value.ToUpperInvariant())
                    {
                        case "CALLID": return callId;
                        case "POOLKEY": return poolKey;
                        case "CALLTIME": return time.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
                        case "CALLDATE": return time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                        default: return time.ToString("yyyy-MM", CultureInfo.InvariantCulture);
                    }
                });
                parts[i] = FileNameSanitizer.Segment(raw);
            }
            return string.Join(Path.DirectorySeparatorChar.ToString(), parts);
        }
    }

    internal static class FileNameSanitizer
    {
        // Characters Windows forbids in names, plus both separators; control characters are handled below.
        private const string Forbidden = "<>:\"/\\|?*";

        private static readonly HashSet<string> Reserved = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00B9", "COM\u00B2", "COM\u00B3",
            "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3",
        };

        /// <summary>UTF-8 bytes a segment may take, well under the 255 most file systems allow, leaving room for extensions.</summary>
        public const int MaxSegmentBytes = 180;

        /// <summary>
        /// One path segment, safe everywhere. When anything had to change, a short hash of the original is
        /// appended, so two different CallIds never end up with the same name ("a:b" and "a_b" stay apart).
        /// </summary>
        public static string Segment(string raw)
        {
            var sb = new StringBuilder(raw.Length);
            foreach (var c in raw)
            {
                sb.Append(c < 0x20 || c == 0x7F || Forbidden.IndexOf(c) >= 0 || char.IsSurrogate(c) && !IsPairedSurrogate(raw, sb.Length) ? '_' : c);
            }
            var s = sb.ToString().TrimEnd('.', ' ').TrimStart(' ');
            if (s.Length == 0) s = "_"; // "." and ".." were trimmed to nothing just above
            var stem = s.Split('.')[0].TrimEnd(' ');
            if (Reserved.Contains(stem)) s = "_" + s;
            // Our own working files end in .dypls-partial: a CallId must not look like one.
            if (s.EndsWith(PartialSuffix, StringComparison.OrdinalIgnoreCase)) s += "_";

            var changed = !string.Equals(s, raw, StringComparison.Ordinal);
            if (Encoding.UTF8.GetByteCount(s) > MaxSegmentBytes)
            {
                s = TruncateUtf8(s, MaxSegmentBytes - 10);
                changed = true;
            }
            return changed ? s + "~" + ShortHash(raw) : s;
        }

        public const string PartialSuffix = ".dypls-partial";

        private static bool IsPairedSurrogate(string raw, int index)
        {
            var c = raw[index];
            if (char.IsHighSurrogate(c)) return index + 1 < raw.Length && char.IsLowSurrogate(raw[index + 1]);
            return index > 0 && char.IsHighSurrogate(raw[index - 1]);
        }

        private static string TruncateUtf8(string s, int maxBytes)
        {
            var end = s.Length;
            while (end > 0 && Encoding.UTF8.GetByteCount(s.Substring(0, end)) > maxBytes) end--;
            if (end > 0 && char.IsHighSurrogate(s[end - 1])) end--;
            return s.Substring(0, end);
        }

        internal static string ShortHash(string raw)
        {
            using var sha = SHA256.Create();
            var h = sha.ComputeHash(Encoding.UTF8.GetBytes(raw));
            return BitConverter.ToString(h, 0, 4).Replace("-", "").ToLowerInvariant();
        }
    }
}
