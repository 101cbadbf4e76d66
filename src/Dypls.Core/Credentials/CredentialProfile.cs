using System;
using System.Collections.Generic;
using System.Globalization;

namespace Dypls.Credentials
{
    /// <summary>One usable profile from either profile file, already checked for its mode's required fields.</summary>
    internal sealed class CredentialProfile
    {
        public CredentialProfile(CredentialProfileKind kind, string location, string? accessKeyId = null, string? accessKeySecret = null, string? securityToken = null, string? roleName = null)
        {
            Kind = kind;
            Location = location;
            AccessKeyId = accessKeyId;
            AccessKeySecret = accessKeySecret;
            SecurityToken = securityToken;
            RoleName = roleName;
        }

        public CredentialProfileKind Kind { get; }

        /// <summary>Safe to log, e.g. "profile 'prod' (mode AK) in /home/u/.aliyun/config.json".</summary>
        public string Location { get; }

        /// <summary>The mode or type as written in the file (RamRoleArn, oidc_role_arn, ...), for -Debug.</summary>
        public string Mode { get; set; } = "";

        public string? AccessKeyId { get; }
        public string? AccessKeySecret { get; }
        public string? SecurityToken { get; }
        public string? RoleName { get; }

        // Role settings (RamRoleArn, ChainableRamRoleArn, OIDC).
        public string? RoleArn { get; set; }
        public string? RoleSessionName { get; set; }
        public int? DurationSeconds { get; set; }
        public string? Policy { get; set; }
        public string? ExternalId { get; set; }
        public string? StsRegion { get; set; }
        public string? StsEndpoint { get; set; }
        public bool EnableVpc { get; set; }
        public string? SourceProfile { get; set; }
        public string? OidcProviderArn { get; set; }
        public string? OidcTokenFile { get; set; }
        public string? CredentialsUri { get; set; }
        public string? ProcessCommand { get; set; }

        /// <summary>Reads a required field; a missing one is an error that names profile and field, never a value.</summary>
        internal static string Require(IReadOnlyDictionary<string, string> fields, string field, string location)
        {
            if (fields.TryGetValue(field, out var value) && !string.IsNullOrWhiteSpace(value)) return value.Trim();
            throw new CredentialException(CredentialErrorIds.IncompleteProfile,
                $"The {location} has no '{field}' (or it is empty); that field is required for this mode.");
        }

        /// <summary>The first of the fields that is set, trimmed; null when none is.</summary>
        internal static string? Optional(IReadOnlyDictionary<string, string> fields, params string[] names)
        {
            foreach (var name in names)
                if (fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)) return value.Trim();
            return null;
        }

        internal static int? OptionalInt(IReadOnlyDictionary<string, string> fields, string location, params string[] names)
        {
            foreach (var name in names)
            {
                var text = Optional(fields, name);
                if (text == null) continue;
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                    throw new CredentialException(CredentialErrorIds.InvalidProfile, $"The {location} has '{name}' = '{MessageText.Shorten(text)}', which is not a whole number of seconds.");
                if (n == 0) continue; // the CLI writes 0 for "not set"
                return n;
            }
            return null;
        }

        internal static CredentialException Unsupported(string location, string mode, string supported) =>
            new CredentialException(CredentialErrorIds.UnsupportedProfileMode,
                $"The {location} uses '{mode}', which Dypls does not support. Supported: {supported}. " +
                "Use one of those, or pass -AccessKeyId/-AccessKeySecret (with -SecurityToken) obtained by your own tooling.");

        internal static CredentialException Interactive(string location, string mode, string profileName) =>
            new CredentialException(CredentialErrorIds.InteractiveProfileMode,
                $"The {location} uses '{mode}', which signs in through a browser: a cmdlet (often running unattended) cannot do that. " +
                $"For unattended runs use a RamRoleArn, OIDC, EcsRamRole, CredentialsURI or External profile. To use your {mode} session, " +
                $"sign in with 'aliyun configure --profile {profileName} --mode {mode}' and hand its temporary keys over yourself " +
                "(an External profile whose process_command prints them, or -AccessKeyId/-AccessKeySecret/-SecurityToken).");

        /// <summary>The AssumeRole options both profile files spell alike: policy, external id and where STS is.</summary>
        internal CredentialProfile WithStsOptions(IReadOnlyDictionary<string, string> fields)
        {
            Policy = Optional(fields, "policy");
            ExternalId = Optional(fields, "external_id");
            StsRegion = Optional(fields, "sts_region");
            StsEndpoint = Optional(fields, "sts_endpoint");
            EnableVpc = IsTrue(Optional(fields, "enable_vpc"));
            return this;
        }

        internal static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
    }
}
