namespace Dypls.Credentials
{
    /// <summary>Stable ErrorIds of credential failures; users and scripts match on these, so never rename one.</summary>
    public static class CredentialErrorIds
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
        /// <summary>The ECS metadata service did not answer (network error, timeout, no IMDSv2 token when v1 is disabled).</summary>
        public const string EcsMetadataUnavailable = "EcsMetadataUnavailable";
        /// <summary>The metadata service answered but gave no usable credential (role not attached, bad JSON, Code not Success).</summary>
        public const string EcsRoleCredentialFailed = "EcsRoleCredentialFailed";
        /// <summary>
        /// A source that hands out temporary credentials failed while the run was going (metadata service unreachable,
        /// STS refused or unreachable, credentials URI or external process failed): every row would fail alike.
        /// </summary>
        public const string CredentialSourceFailed = "CredentialSourceFailed";
        /// <summary>No source had a credential (CredentialNotFoundException).</summary>
        public const string CredentialNotFound = "CredentialNotFound";
    }
}
