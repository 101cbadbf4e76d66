namespace Dypls.Credentials
{
    /// <summary>Stable ErrorIds of credential failures; users and scripts match on these, so never rename one.</summary>
    internal static class CredentialErrorIds
    {
        /// <summary>An AccessKeyId without its secret, or the reverse (parameters or environment variables).</summary>
        public const string IncompleteCredential = "IncompleteCredential";
        /// <summary>A named profile (-ProfileName, ALIBABA_CLOUD_PROFILE) exists in neither profile file.</summary>
        public const string ProfileNotFound = "ProfileNotFound";
        /// <summary>A profile uses a mode/type Dypls cannot use (RamRoleArn, OIDC, CloudSSO, ...).</summary>
        public const string UnsupportedProfileMode = "UnsupportedProfileMode";
        /// <summary>A profile lacks a field its mode needs (e.g. access_key_secret).</summary>
        public const string IncompleteProfile = "IncompleteProfile";
        /// <summary>A profile file exists but cannot be read or parsed.</summary>
        public const string InvalidCredentialFile = "InvalidCredentialFile";
        /// <summary>A profile asks for the ECS RAM role but ALIBABA_CLOUD_ECS_METADATA_DISABLED=true forbids it.</summary>
        public const string EcsMetadataDisabled = "EcsMetadataDisabled";
        /// <summary>DYPLS_ECS_METADATA_ENDPOINT is not an absolute http(s) URL.</summary>
        public const string InvalidEcsMetadataEndpoint = "InvalidEcsMetadataEndpoint";
        /// <summary>An STS endpoint (sts_endpoint, ALIBABA_CLOUD_STS_ENDPOINT, sts_region) is malformed, or plain http to a host that is not loopback.</summary>
        public const string InvalidStsEndpoint = "InvalidStsEndpoint";
        /// <summary>A profile's settings cannot work together (a source_profile loop, expired_seconds below 900, a credentials URI that is not http(s)).</summary>
        public const string InvalidProfile = "InvalidProfile";
        /// <summary>A profile uses a mode that needs a person at a browser (CloudSSO, OAuth): a cmdlet cannot sign in.</summary>
        public const string InteractiveProfileMode = "InteractiveProfileMode";
        /// <summary>
        /// A source that hands out temporary credentials failed while the run was going (metadata service unreachable,
        /// STS refused or unreachable, credentials URI or external process failed): every row would fail alike.
        /// </summary>
        public const string CredentialSourceFailed = "CredentialSourceFailed";
        /// <summary>No source had a credential (CredentialNotFoundException).</summary>
        public const string CredentialNotFound = "CredentialNotFound";
    }
}
