using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace Dypls.Credentials
{
    /// <summary>
    /// The Alibaba Cloud CLI's ~/.aliyun/config.json. Only the profile actually asked for is validated,
    /// so one odd profile (say, a RamRoleArn one) does not break the others.
    /// </summary>
    internal sealed class AliyunCliConfigFile
    {
        internal const string SupportedModes = "AK, StsToken, EcsRamRole";

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

                string? current = null;
                if (root.TryGetProperty("current", out var cur) && cur.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(cur.GetString()))
                    current = cur.GetString()!.Trim();

                var names = new List<string>();
                var profiles = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
                if (root.TryGetProperty("profiles", out var list) && list.ValueKind != JsonValueKind.Null)
                {
                    if (list.ValueKind != JsonValueKind.Array) throw Invalid(path, "\"profiles\" is not an array");
                    foreach (var p in list.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Object) throw Invalid(path, "an entry of \"profiles\" is not an object");
                        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                        // Only string fields matter here; numbers/bools (retry_count, ...) are other tools' business.
                        foreach (var prop in p.EnumerateObject())
                            if (prop.Value.ValueKind == JsonValueKind.String) fields[prop.Name] = prop.Value.GetString() ?? "";
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
            switch (mode.ToUpperInvariant())
            {
                case "AK":
                    return new CredentialProfile(CredentialProfileKind.AccessKey, location,
                        CredentialProfile.Require(fields, "access_key_id", location),
                        CredentialProfile.Require(fields, "access_key_secret", location));
                case "STSTOKEN":
                    return new CredentialProfile(CredentialProfileKind.StsToken, location,
                        CredentialProfile.Require(fields, "access_key_id", location),
                        CredentialProfile.Require(fields, "access_key_secret", location),
                        CredentialProfile.Require(fields, "sts_token", location));
                case "ECSRAMROLE":
                    return new CredentialProfile(CredentialProfileKind.EcsRamRole, location,
                        roleName: CredentialProfile.Require(fields, "ram_role_name", location));
                default:
                    throw CredentialProfile.Unsupported(location, "mode " + mode, "modes " + SupportedModes);
            }
        }

        private static CredentialException Invalid(string path, string why) =>
            new CredentialException(CredentialErrorIds.InvalidCredentialFile, $"The Alibaba Cloud CLI profile file {path} is malformed: {why}. Fix or remove it (for example with 'aliyun configure').");
    }
}
