namespace Dypls.Credentials
{
    /// <summary>Environment variables the chain honours; the ALIBABA_CLOUD_* ones mean what they mean to Alibaba Cloud's own tools.</summary>
    public static class CredentialEnvironmentVariables
    {
        public const string AccessKeyId = "ALIBABA_CLOUD_ACCESS_KEY_ID";
        public const string AccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
        public const string SecurityToken = "ALIBABA_CLOUD_SECURITY_TOKEN";
        public const string Profile = "ALIBABA_CLOUD_PROFILE";
        public const string CredentialsFile = "ALIBABA_CLOUD_CREDENTIALS_FILE";
        public const string CliProfileDisabled = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
        public const string EcsMetadata = "ALIBABA_CLOUD_ECS_METADATA";
        public const string EcsMetadataDisabled = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
        public const string ImdsV1Disabled = "ALIBABA_CLOUD_IMDSV1_DISABLED";
        /// <summary>Dypls-only: where the ECS metadata service is (tests, proxies); default http://100.100.100.200/.</summary>
        public const string DyplsEcsMetadataEndpoint = "DYPLS_ECS_METADATA_ENDPOINT";
    }
}
