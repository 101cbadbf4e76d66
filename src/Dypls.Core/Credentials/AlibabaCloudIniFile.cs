using System;
using System.Collections.Generic;

namespace Dypls.Credentials
{
    /// <summary>
    /// The credentials INI file of the Alibaba Cloud SDKs (~/.alibabacloud/credentials). A deliberately
    /// small parser: [section], key = value, ';'/'#' comments, any whitespace and line ending.
    /// </summary>
    internal sealed class AlibabaCloudIniFile
    {
        private readonly Dictionary<string, Dictionary<string, string>> _sections;

        private AlibabaCloudIniFile(string path, List<string> names, Dictionary<string, Dictionary<string, string>> sections)
        {
            Path = path;
            SectionNames = names;
            _sections = sections;
        }

        public string Path { get; }

        public IReadOnlyList<string> SectionNames { get; }

        /// <summary>Null when the file does not exist.</summary>
        public static AlibabaCloudIniFile? Load(string path)
        {
            var text = CredentialFileText.ReadOrNull(path, "Alibaba Cloud credentials file");
            if (text is null) return null;

            var names = new List<string>();
            var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
            Dictionary<string, string>? section = null;
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim(); // also drops the '\r' of CRLF files
                if (line.Length == 0 || line[0] == ';' || line[0] == '#') continue;
                if (line[0] == '[')
                {
                    var end = line.IndexOf(']');
                    if (end < 0) throw Invalid(path, i, "a section header has no closing ']'");
                    var name = line.Substring(1, end - 1).Trim();
                    if (name.Length == 0) throw Invalid(path, i, "a section has an empty name");
                    var rest = line.Substring(end + 1).Trim();
                    if (rest.Length > 0 && rest[0] != ';' && rest[0] != '#') throw Invalid(path, i, "unexpected text after a section header");
                    // A repeated section continues the first one (later keys win), as common INI readers do.
                    if (!sections.TryGetValue(name, out section))
                    {
                        section = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                        sections[name] = section;
                        names.Add(name);
                    }
                    continue;
                }

                var eq = line.IndexOf('=');
                if (eq <= 0) throw Invalid(path, i, "a line is neither a [section], a key = value pair nor a comment");
                if (section is null) throw Invalid(path, i, "a key = value pair comes before the first [section]");
                var key = line.Substring(0, eq).Trim();
                var value = StripInlineComment(line.Substring(eq + 1)).Trim();
                if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[value.Length - 1] == value[0])
                    value = value.Substring(1, value.Length - 2);
                section[key] = value;
            }
            return new AlibabaCloudIniFile(path, names, sections);
        }

        /// <summary>Null when no such section; throws when it exists but is unusable.</summary>
        public CredentialProfile? Find(string name)
        {
            if (!_sections.TryGetValue(name, out var fields)) return null;
            var location = $"profile [{name}] in {Path}";
            var type = CredentialProfile.Require(fields, "type", location);
            location = $"profile [{name}] (type {type}) in {Path}";
            return ProfileKindTable.ReadIni(type, fields, location);
        }

        // Only " ;" / " #" start an inline comment, so a value containing ';' or '#' survives.
        private static string StripInlineComment(string value)
        {
            for (var i = 1; i < value.Length; i++)
                if ((value[i] == ';' || value[i] == '#') && char.IsWhiteSpace(value[i - 1])) return value.Substring(0, i);
            return value;
        }

        // Line number only: never the line, which may hold a secret.
        private static CredentialException Invalid(string path, int lineIndex, string why) =>
            new CredentialException(CredentialErrorIds.InvalidCredentialFile, $"The Alibaba Cloud credentials file {path} is malformed at line {lineIndex + 1}: {why}.");
    }
}
