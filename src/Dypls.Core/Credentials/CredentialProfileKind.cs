namespace Dypls.Credentials
{
    internal enum CredentialProfileKind
    {
        AccessKey,
        StsToken,
        EcsRamRole,
        /// <summary>AssumeRole signed by the profile's own AccessKey (CLI RamRoleArn, INI ram_role_arn).</summary>
        RamRoleArn,
        /// <summary>AssumeRole signed by another profile's credential (CLI ChainableRamRoleArn with source_profile).</summary>
        ChainableRamRoleArn,
        /// <summary>AssumeRole signed by the ECS instance role (CLI RamRoleArnWithRoleName, deprecated by the CLI).</summary>
        RamRoleArnWithEcsRole,
        /// <summary>AssumeRoleWithOIDC (CLI OIDC, INI oidc_role_arn).</summary>
        Oidc,
        /// <summary>A credentials service (CLI CredentialsURI, INI credentials_uri).</summary>
        CredentialsUri,
        /// <summary>A process that prints credentials (CLI External).</summary>
        External,
    }
}
