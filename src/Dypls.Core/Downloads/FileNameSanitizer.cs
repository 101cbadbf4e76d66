using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Dypls.Downloads
{
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
