using System;
using System.Collections.Generic;

namespace Dypls.Credentials
{
    internal enum CredentialProfileKind
    {
        AccessKey,
        StsToken,
        EcsRamRole,
    }

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

        public string? AccessKeyId { get; }
        public string? AccessKeySecret { get; }
        public string? SecurityToken { get; }
        public string? RoleName { get; }

        /// <summary>Reads a required field; a missing one is an error that names profile and field, never a value.</summary>
        internal static string Require(IReadOnlyDictionary<string, string> fields, string field, string location)
        {
            if (fields.TryGetValue(field, out var value) && !string.IsNullOrWhiteSpace(value)) return value.Trim();
            throw new CredentialException(CredentialErrorIds.IncompleteProfile,
                $"The {location} has no '{field}' (or it is empty); that field is required for this mode.");
        }

        internal static CredentialException Unsupported(string location, string mode, string supported) =>
            new CredentialException(CredentialErrorIds.UnsupportedProfileMode,
                $"The {location} uses '{mode}', which Dypls does not support. Supported: {supported}. " +
                "Use an AccessKey or STS profile, or pass -AccessKeyId/-AccessKeySecret (with -SecurityToken) obtained by your own tooling.");

        internal static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
    }
}
