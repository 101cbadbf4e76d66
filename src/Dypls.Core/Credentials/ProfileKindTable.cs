using System;
using System.Collections.Generic;
using System.Linq;
using FieldNames = (Dypls.Credentials.ProfileKindTable.Field Field, string? Ini, string? Cli);
using Row = (Dypls.Credentials.CredentialProfileKind Kind, string? IniType, string? CliMode, (Dypls.Credentials.ProfileKindTable.Field Field, string? Ini, string? Cli)[] Fields);

namespace Dypls.Credentials
{
    /// <summary>
    /// The profile kinds of both profile files, one row a kind: its name in the SDKs' INI file (type) and in the CLI's
    /// config.json (mode), and the fields each file spells for it. Both files read their profiles through this table.
    /// </summary>
    internal static class ProfileKindTable
    {
        internal enum Field
        {
            AccessKeyId,
            AccessKeySecret,
            SecurityToken,
            RoleName,
            RoleArn,
            SourceProfile,
            OidcProviderArn,
            OidcTokenFile,
            CredentialsUri,
            ProcessCommand,
        }

        // A field's names: null, that file has no such field for this kind; "a|b", the first of a and b that is set
        // (a missing one is reported as a); a trailing '?', optional. Fields are checked in the order written, so the
        // first missing one is the one reported.
        private static readonly Row[] Rows =
        {
            R(CredentialProfileKind.AccessKey, "access_key", "AK",
                F(Field.AccessKeyId, "access_key_id", "access_key_id"),
                F(Field.AccessKeySecret, "access_key_secret", "access_key_secret")),
            R(CredentialProfileKind.StsToken, "sts", "StsToken",
                F(Field.AccessKeyId, "access_key_id", "access_key_id"),
                F(Field.AccessKeySecret, "access_key_secret", "access_key_secret"),
                F(Field.SecurityToken, "security_token", "sts_token")),
            R(CredentialProfileKind.EcsRamRole, "ecs_ram_role", "EcsRamRole",
                F(Field.RoleName, "role_name", "ram_role_name")),
            R(CredentialProfileKind.RamRoleArn, "ram_role_arn", "RamRoleArn",
                F(Field.AccessKeyId, "access_key_id", "access_key_id"),
                F(Field.AccessKeySecret, "access_key_secret", "access_key_secret"),
                F(Field.SecurityToken, null, "sts_token?"),
                F(Field.RoleArn, "role_arn", "ram_role_arn")),
            R(CredentialProfileKind.ChainableRamRoleArn, null, "ChainableRamRoleArn",
                F(Field.SourceProfile, null, "source_profile"),
                F(Field.RoleArn, null, "ram_role_arn")),
            R(CredentialProfileKind.RamRoleArnWithEcsRole, null, "RamRoleArnWithRoleName",
                F(Field.RoleName, null, "ram_role_name"),
                F(Field.RoleArn, null, "ram_role_arn")),
            R(CredentialProfileKind.Oidc, "oidc_role_arn", "OIDC",
                F(Field.RoleArn, "role_arn", "ram_role_arn"),
                F(Field.OidcProviderArn, "oidc_provider_arn", "oidc_provider_arn"),
                F(Field.OidcTokenFile, "oidc_token_file_path|oidc_token_file", "oidc_token_file")),
            // An empty CLI credentials_uri means ALIBABA_CLOUD_CREDENTIALS_URI, as in the CLI; the chain checks that one of them is set.
            R(CredentialProfileKind.CredentialsUri, "credentials_uri", "CredentialsURI",
                F(Field.CredentialsUri, "credentials_uri", "credentials_uri?")),
            R(CredentialProfileKind.External, null, "External",
                F(Field.ProcessCommand, null, "process_command")),
        };

        internal static readonly string SupportedIniTypes = string.Join(", ", Rows.Where(r => r.IniType != null).Select(r => r.IniType));

        internal static readonly string SupportedCliModes = string.Join(", ", Rows.Where(r => r.CliMode != null).Select(r => r.CliMode));

        /// <summary>A profile of the INI file, by its type; throws when the type is unknown or a required field is missing.</summary>
        internal static CredentialProfile ReadIni(string type, IReadOnlyDictionary<string, string> fields, string location)
        {
            var row = Find(type, r => r.IniType)
                ?? throw CredentialProfile.Unsupported(location, "type " + type, "types " + SupportedIniTypes);
            return Read(row, f => f.Ini, type, fields, location, sessionName: "role_session_name", duration: "role_session_expiration");
        }

        /// <summary>A profile of the CLI's config.json, by its mode; throws when the mode is unknown or a required field is missing.</summary>
        internal static CredentialProfile ReadCli(string mode, IReadOnlyDictionary<string, string> fields, string location)
        {
            var row = Find(mode, r => r.CliMode)
                ?? throw CredentialProfile.Unsupported(location, "mode " + mode, "modes " + SupportedCliModes);
            return Read(row, f => f.Cli, mode, fields, location, sessionName: "ram_session_name", duration: "expired_seconds");
        }

        /// <param name="sessionName">The file's name for the role session's name.</param>
        /// <param name="duration">The file's name for the role session's length; duration_seconds is read after it in both.</param>
        private static CredentialProfile Read(Row row, Func<FieldNames, string?> spelling, string mode, IReadOnlyDictionary<string, string> fields, string location,
            string sessionName, string duration)
        {
            var values = new Dictionary<Field, string?>();
            foreach (var f in row.Fields)
            {
                var names = spelling(f);
                if (names == null) continue;
                var optional = names.EndsWith("?", StringComparison.Ordinal);
                var aliases = names.TrimEnd('?').Split('|');
                values[f.Field] = CredentialProfile.Optional(fields, aliases)
                    ?? (optional ? null : CredentialProfile.Require(fields, aliases[0], location));
            }
            string? Get(Field field) => values.TryGetValue(field, out var v) ? v : null;
            return new CredentialProfile(row.Kind, location, Get(Field.AccessKeyId), Get(Field.AccessKeySecret), Get(Field.SecurityToken), Get(Field.RoleName))
            {
                RoleArn = Get(Field.RoleArn),
                SourceProfile = Get(Field.SourceProfile),
                OidcProviderArn = Get(Field.OidcProviderArn),
                OidcTokenFile = Get(Field.OidcTokenFile),
                CredentialsUri = Get(Field.CredentialsUri),
                ProcessCommand = Get(Field.ProcessCommand),
                Mode = mode,
                RoleSessionName = CredentialProfile.Optional(fields, sessionName),
                DurationSeconds = CredentialProfile.OptionalInt(fields, location, duration, "duration_seconds"),
            }.WithStsOptions(fields);
        }

        private static Row? Find(string name, Func<Row, string?> nameIn)
        {
            foreach (var row in Rows)
                if (string.Equals(nameIn(row), name, StringComparison.OrdinalIgnoreCase)) return row;
            return null;
        }

        private static FieldNames F(Field field, string? ini, string? cli) => (field, ini, cli);

        private static Row R(CredentialProfileKind kind, string? iniType, string? cliMode, params FieldNames[] fields) => (kind, iniType, cliMode, fields);
    }
}
