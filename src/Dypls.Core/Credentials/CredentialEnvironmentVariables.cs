namespace Dypls.Credentials
{
    /// <summary>Environment variables the chain honours; the ALIBABA_CLOUD_* ones mean what they mean to Alibaba Cloud's own tools.</summary>
    internal static class CredentialEnvironmentVariables
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
        public const string RoleArn = "ALIBABA_CLOUD_ROLE_ARN";
        public const string OidcProviderArn = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
        public const string OidcTokenFile = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
        public const string RoleSessionName = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
        public const string StsRegion = "ALIBABA_CLOUD_STS_REGION";
        public const string StsEndpoint = "ALIBABA_CLOUD_STS_ENDPOINT";
        public const string VpcEndpointEnabled = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
        public const string CredentialsUri = "ALIBABA_CLOUD_CREDENTIALS_URI";
        /// <summary>Dypls-only: where the ECS metadata service is (tests, proxies); default http://100.100.100.200/.</summary>
        public const string DyplsEcsMetadataEndpoint = "DYPLS_ECS_METADATA_ENDPOINT";
    }
}
