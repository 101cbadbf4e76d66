using System.Collections.Generic;
using System.Text;

namespace Dypls.Credentials
{
    /// <summary>Splits process_command into arguments the way the official libraries do, and joins them for ProcessStartInfo.</summary>
    internal static class ProcessCommandLine
    {
        /// <summary>
        /// Quotes group ('…' literal, "…" with \" \\ \$ \` escapes on Unix, only \" on Windows); outside quotes a backslash
        /// escapes the next character on Unix and is a plain character (a path separator) on Windows.
        /// </summary>
        public static string[] Split(string command, bool windows)
        {
            var args = new List<string>();
            var current = new StringBuilder();
            bool inSingle = false, inDouble = false, hasToken = false;
            var input = (command ?? "").Trim();
            for (var i = 0; i < input.Length; i++)
            {
                var c = input[i];
                if (inSingle)
                {
                    if (c == '\'') inSingle = false; else current.Append(c);
                    continue;
                }
                if (inDouble)
                {
                    if (c == '"') { inDouble = false; continue; }
                    if (c == '\\' && i + 1 < input.Length)
                    {
                        var next = input[i + 1];
                        if (windows ? next == '"' : (next == '"' || next == '\\' || next == '$' || next == '`'))
                        {
                            current.Append(next);
                            i++;
                            continue;
                        }
                        if (!windows && next == '\n') { i++; continue; }
                    }
                    current.Append(c);
                    continue;
                }
                if (c == '\\' && !windows && i + 1 < input.Length)
                {
                    hasToken = true;
                    if (input[i + 1] != '\n') current.Append(input[i + 1]);
                    i++;
                    continue;
                }
                if (c == '\'' && !windows) { inSingle = true; hasToken = true; continue; }
                if (c == '"') { inDouble = true; hasToken = true; continue; }
                if (char.IsWhiteSpace(c))
                {
                    if (hasToken) { args.Add(current.ToString()); current.Clear(); hasToken = false; }
                    continue;
                }
                hasToken = true;
                current.Append(c);
            }
            if (inSingle || inDouble)
                throw new CredentialException(CredentialErrorIds.InvalidProfile, "The process_command has a quote that is never closed.");
            if (hasToken) args.Add(current.ToString());
            return args.ToArray();
        }

        /// <summary>Arguments from <paramref name="start"/> on as one ProcessStartInfo.Arguments string (parsed back the same on every platform).</summary>
        public static string Join(IReadOnlyList<string> argv, int start)
        {
            var sb = new StringBuilder();
            for (var i = start; i < argv.Count; i++)
            {
                if (sb.Length > 0) sb.Append(' ');
                Quote(argv[i], sb);
            }
            return sb.ToString();
        }

        private static readonly char[] NeedsQuotes = { ' ', '\t', '\n', '\v', '"' };

        private static void Quote(string arg, StringBuilder sb)
        {
            if (arg.Length > 0 && arg.IndexOfAny(NeedsQuotes) < 0)
            {
                sb.Append(arg);
                return;
            }
            sb.Append('"');
            for (var i = 0; i < arg.Length; i++)
            {
                var backslashes = 0;
                while (i < arg.Length && arg[i] == '\\') { backslashes++; i++; }
                if (i == arg.Length) { sb.Append('\\', backslashes * 2); break; }
                if (arg[i] == '"') { sb.Append('\\', backslashes * 2 + 1); sb.Append('"'); }
                else { sb.Append('\\', backslashes); sb.Append(arg[i]); }
            }
            sb.Append('"');
        }
    }
}
