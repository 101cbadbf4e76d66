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
        internal const string SupportedModes = "AK, StsToken, EcsRamRole, RamRoleArn, ChainableRamRoleArn, RamRoleArnWithRoleName, OIDC, CredentialsURI, External";

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
            CredentialProfile profile;
            switch (mode.ToUpperInvariant())
            {
                case "AK":
                    profile = new CredentialProfile(CredentialProfileKind.AccessKey, location,
                        CredentialProfile.Require(fields, "access_key_id", location),
                        CredentialProfile.Require(fields, "access_key_secret", location));
                    break;
                case "STSTOKEN":
                    profile = new CredentialProfile(CredentialProfileKind.StsToken, location,
                        CredentialProfile.Require(fields, "access_key_id", location),
                        CredentialProfile.Require(fields, "access_key_secret", location),
                        CredentialProfile.Require(fields, "sts_token", location));
                    break;
                case "ECSRAMROLE":
                    profile = new CredentialProfile(CredentialProfileKind.EcsRamRole, location,
                        roleName: CredentialProfile.Require(fields, "ram_role_name", location));
                    break;
                case "RAMROLEARN":
                    profile = new CredentialProfile(CredentialProfileKind.RamRoleArn, location,
                        CredentialProfile.Require(fields, "access_key_id", location),
                        CredentialProfile.Require(fields, "access_key_secret", location),
                        CredentialProfile.Optional(fields, "sts_token"));
                    profile.RoleArn = CredentialProfile.Require(fields, "ram_role_arn", location);
                    break;
                case "CHAINABLERAMROLEARN":
                    profile = new CredentialProfile(CredentialProfileKind.ChainableRamRoleArn, location);
                    profile.SourceProfile = CredentialProfile.Require(fields, "source_profile", location);
                    profile.RoleArn = CredentialProfile.Require(fields, "ram_role_arn", location);
                    break;
                case "RAMROLEARNWITHROLENAME":
                    profile = new CredentialProfile(CredentialProfileKind.RamRoleArnWithEcsRole, location,
                        roleName: CredentialProfile.Require(fields, "ram_role_name", location));
                    profile.RoleArn = CredentialProfile.Require(fields, "ram_role_arn", location);
                    break;
                case "OIDC":
                    profile = new CredentialProfile(CredentialProfileKind.Oidc, location);
                    profile.RoleArn = CredentialProfile.Require(fields, "ram_role_arn", location);
                    profile.OidcProviderArn = CredentialProfile.Require(fields, "oidc_provider_arn", location);
                    profile.OidcTokenFile = CredentialProfile.Require(fields, "oidc_token_file", location);
                    break;
                case "CREDENTIALSURI":
                    // Empty means ALIBABA_CLOUD_CREDENTIALS_URI, as in the CLI; the chain checks that one of them is set.
                    profile = new CredentialProfile(CredentialProfileKind.CredentialsUri, location);
                    profile.CredentialsUri = CredentialProfile.Optional(fields, "credentials_uri");
                    break;
                case "EXTERNAL":
                    profile = new CredentialProfile(CredentialProfileKind.External, location);
                    profile.ProcessCommand = CredentialProfile.Require(fields, "process_command", location);
                    break;
                case "CLOUDSSO":
                case "OAUTH":
                    throw CredentialProfile.Interactive(location, mode, name);
                default:
                    throw CredentialProfile.Unsupported(location, "mode " + mode, "modes " + SupportedModes);
            }
            profile.Mode = mode;
            profile.RoleSessionName = CredentialProfile.Optional(fields, "ram_session_name");
            profile.DurationSeconds = CredentialProfile.OptionalInt(fields, location, "expired_seconds", "duration_seconds");
            profile.ReadStsOptions(fields);
            return profile;
        }

        private static CredentialException Invalid(string path, string why) =>
            new CredentialException(CredentialErrorIds.InvalidCredentialFile, $"The Alibaba Cloud CLI profile file {path} is malformed: {why}. Fix or remove it (for example with 'aliyun configure').");
    }
}
