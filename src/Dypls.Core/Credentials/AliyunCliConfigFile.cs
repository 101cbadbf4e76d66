using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Dypls.Credentials
{
    /// <summary>
    /// The Alibaba Cloud CLI's ~/.aliyun/config.json. Only the profile actually asked for is validated,
    /// so one odd profile (say, a RamRoleArn one) does not break the others.
    /// </summary>
    internal sealed class AliyunCliConfigFile
    {
        private readonly Dictionary<string, Dictionary<string, string>> _profiles;

        private AliyunCliConfigFile(string path, string? current, List<string> names, Dictionary<string, Dictionary<string, string>> profiles)
        {
            Path = path;
            Current = current;
            ProfileNames = names;
            _profiles = profiles;
        }

        public string Path { get; }

        /// <summary>The "current" profile name, or null when the file names none.</summary>
        public string? Current { get; }

        public IReadOnlyList<string> ProfileNames { get; }

        public static string DefaultPath(string home) => System.IO.Path.Combine(home, ".aliyun", "config.json");

        /// <summary>Null when the file does not exist.</summary>
        public static AliyunCliConfigFile? Load(string path)
        {
            var text = CredentialFileText.ReadOrNull(path, "Alibaba Cloud CLI profile file");
            if (text is null) return null;

            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw Invalid(path, "the top level is not a JSON object");

                var current = JsonFields.Text(root, "current");
                current = string.IsNullOrWhiteSpace(current) ? null : current!.Trim();

                var names = new List<string>();
                var profiles = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
                if (root.TryGetProperty("profiles", out var list) && list.ValueKind != JsonValueKind.Null)
                {
                    if (list.ValueKind != JsonValueKind.Array) throw Invalid(path, "\"profiles\" is not an array");
                    foreach (var p in list.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Object) throw Invalid(path, "an entry of \"profiles\" is not an object");
                        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                        // Strings, and numbers/bools as their JSON text (expired_seconds, enable_vpc); objects are other tools' business.
                        foreach (var prop in p.EnumerateObject())
                        {
                            switch (prop.Value.ValueKind)
                            {
                                case JsonValueKind.String: fields[prop.Name] = prop.Value.GetString() ?? ""; break;
                                case JsonValueKind.Number: fields[prop.Name] = prop.Value.GetRawText(); break;
                                case JsonValueKind.True: fields[prop.Name] = "true"; break;
                                case JsonValueKind.False: fields[prop.Name] = "false"; break;
                            }
                        }
                        if (!fields.TryGetValue("name", out var name) || string.IsNullOrWhiteSpace(name)) continue;
                        name = name.Trim();
                        // The CLI itself uses the first profile of a name.
                        if (profiles.ContainsKey(name)) continue;
                        profiles[name] = fields;
                        names.Add(name);
                    }
                }
                return new AliyunCliConfigFile(path, current, names, profiles);
            }
            catch (JsonException ex)
            {
                // Position only: the parser's own message can quote file content, and the file holds secrets.
                throw Invalid(path, $"it is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})");
            }
        }

        /// <summary>Null when no such profile; throws when it exists but is unusable.</summary>
        public CredentialProfile? Find(string name)
        {
            if (!_profiles.TryGetValue(name, out var fields)) return null;
            fields.TryGetValue("mode", out var mode);
            mode = string.IsNullOrWhiteSpace(mode) ? "AK" : mode!.Trim(); // old CLI versions wrote no mode for AccessKey profiles
            var location = $"profile '{name}' (mode {mode}) in {Path}";
            if (string.Equals(mode, "CloudSSO", StringComparison.OrdinalIgnoreCase) || string.Equals(mode, "OAuth", StringComparison.OrdinalIgnoreCase))
                throw CredentialProfile.Interactive(location, mode, name);
            return ProfileKindTable.ReadCli(mode, fields, location);
        }

        private static CredentialException Invalid(string path, string why) =>
            new CredentialException(CredentialErrorIds.InvalidCredentialFile, $"The Alibaba Cloud CLI profile file {path} is malformed: {why}. Fix or remove it (for example with 'aliyun configure').");
    }
}
