using Dypls.Credentials;
using Xunit;

namespace Dypls.Core.Tests.Credentials;

/// <summary>The one table of profile kinds that the INI file and the CLI's config.json read their profiles through.</summary>
public sealed class ProfileKindTableTests
{
    private const string Location = "profile 'p' in test";
    private static readonly char[] Space = { ' ' };

    /// <summary>The fields named (space-separated), each set to "v-" and its name.</summary>
    private static Dictionary<string, string> Fields(string names, string? without = null) =>
        names.Split(Space, StringSplitOptions.RemoveEmptyEntries).Where(n => n != without).ToDictionary(n => n, n => "v-" + n, StringComparer.Ordinal);

    private static CredentialProfile Read(bool ini, string mode, Dictionary<string, string> fields) =>
        ini ? ProfileKindTable.ReadIni(mode, fields, Location) : ProfileKindTable.ReadCli(mode, fields, Location);

    [Fact]
    public void Supported_kinds_are_listed_in_each_files_spelling()
    {
        Assert.Equal("access_key, sts, ecs_ram_role, ram_role_arn, oidc_role_arn, credentials_uri", ProfileKindTable.SupportedIniTypes);
        Assert.Equal("AK, StsToken, EcsRamRole, RamRoleArn, ChainableRamRoleArn, RamRoleArnWithRoleName, OIDC, CredentialsURI, External", ProfileKindTable.SupportedCliModes);
    }

    [Theory]
    [InlineData(true, "access_key", "AccessKey", "access_key_id access_key_secret")]
    [InlineData(true, "STS", "StsToken", "access_key_id access_key_secret security_token")]
    [InlineData(true, "ecs_ram_role", "EcsRamRole", "role_name")]
    [InlineData(true, "ram_role_arn", "RamRoleArn", "access_key_id access_key_secret role_arn")]
    [InlineData(true, "oidc_role_arn", "Oidc", "role_arn oidc_provider_arn oidc_token_file_path")]
    [InlineData(true, "credentials_uri", "CredentialsUri", "credentials_uri")]
    [InlineData(false, "ak", "AccessKey", "access_key_id access_key_secret")]
    [InlineData(false, "StsToken", "StsToken", "access_key_id access_key_secret sts_token")]
    [InlineData(false, "EcsRamRole", "EcsRamRole", "ram_role_name")]
    [InlineData(false, "RamRoleArn", "RamRoleArn", "access_key_id access_key_secret ram_role_arn")]
    [InlineData(false, "ChainableRamRoleArn", "ChainableRamRoleArn", "source_profile ram_role_arn")]
    [InlineData(false, "RamRoleArnWithRoleName", "RamRoleArnWithEcsRole", "ram_role_name ram_role_arn")]
    [InlineData(false, "OIDC", "Oidc", "ram_role_arn oidc_provider_arn oidc_token_file")]
    [InlineData(false, "External", "External", "process_command")]
    public void Each_kind_reads_its_fields_and_names_a_missing_required_one(bool ini, string mode, string kind, string required)
    {
        var profile = Read(ini, mode, Fields(required));
        Assert.Equal(kind, profile.Kind.ToString());
        Assert.Equal(mode, profile.Mode);
        foreach (var name in required.Split(' '))
        {
            var ex = Assert.Throws<CredentialException>(() => Read(ini, mode, Fields(required, without: name)));
            Assert.Equal(CredentialErrorIds.IncompleteProfile, ex.ErrorId);
            Assert.Contains($"has no '{name}'", ex.Message);
        }
    }

    [Fact]
    public void Values_land_in_their_properties()
    {
        var p = Read(false, "RamRoleArn", Fields("access_key_id access_key_secret sts_token ram_role_arn ram_session_name policy"));
        Assert.Equal(("v-access_key_id", "v-access_key_secret", "v-sts_token"), (p.AccessKeyId, p.AccessKeySecret, p.SecurityToken));
        Assert.Equal(("v-ram_role_arn", "v-ram_session_name", "v-policy"), (p.RoleArn, p.RoleSessionName, p.Policy));

        p = Read(true, "ram_role_arn", Fields("access_key_id access_key_secret security_token role_arn role_session_name"));
        Assert.Null(p.SecurityToken); // an INI ram_role_arn profile signs with its AccessKey alone
        Assert.Equal("v-role_session_name", p.RoleSessionName);

        p = Read(true, "oidc_role_arn", Fields("role_arn oidc_provider_arn oidc_token_file"));
        Assert.Equal(("v-role_arn", "v-oidc_provider_arn", "v-oidc_token_file"), (p.RoleArn, p.OidcProviderArn, p.OidcTokenFile));

        Assert.Equal("v-role_name", Read(true, "ecs_ram_role", Fields("role_name")).RoleName);
        Assert.Equal("v-source_profile", Read(false, "ChainableRamRoleArn", Fields("source_profile ram_role_arn")).SourceProfile);
        Assert.Equal("v-process_command", Read(false, "External", Fields("process_command")).ProcessCommand);
        Assert.Equal("v-credentials_uri", Read(true, "credentials_uri", Fields("credentials_uri")).CredentialsUri);
        Assert.Null(Read(false, "CredentialsURI", Fields("")).CredentialsUri);
    }

    [Fact]
    public void Durations_are_read_in_each_files_spelling()
    {
        var ini = new Dictionary<string, string>(StringComparer.Ordinal) { ["access_key_id"] = "a", ["access_key_secret"] = "b", ["role_arn"] = "r", ["role_session_expiration"] = "1800" };
        Assert.Equal(1800, Read(true, "ram_role_arn", ini).DurationSeconds);
        var cli = new Dictionary<string, string>(StringComparer.Ordinal) { ["access_key_id"] = "a", ["access_key_secret"] = "b", ["ram_role_arn"] = "r", ["expired_seconds"] = "0", ["duration_seconds"] = "2400" };
        Assert.Equal(2400, Read(false, "RamRoleArn", cli).DurationSeconds);
    }

    [Theory]
    [InlineData(true, "rsa_key_pair", "types access_key, sts")]
    [InlineData(false, "RsaKeyPair", "modes AK, StsToken")]
    public void Unknown_kinds_list_the_supported_ones(bool ini, string mode, string expected)
    {
        var ex = Assert.Throws<CredentialException>(() => Read(ini, mode, Fields("")));
        Assert.Equal(CredentialErrorIds.UnsupportedProfileMode, ex.ErrorId);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("'" + (ini ? "type " : "mode ") + mode + "'", ex.Message);
    }
}
