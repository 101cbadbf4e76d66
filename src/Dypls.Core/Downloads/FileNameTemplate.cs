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
}
