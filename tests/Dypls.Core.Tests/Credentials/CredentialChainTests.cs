using Dypls.Credentials;
using Xunit;
using static Dypls.Core.Tests.Credentials.CredentialTestHome;
using Env = Dypls.Credentials.CredentialEnvironmentVariables;

namespace Dypls.Core.Tests.Credentials;

public sealed class CredentialChainTests : IDisposable
{
    private readonly CredentialTestHome _t = new();

    public void Dispose() => _t.Dispose();

    private async Task<(ICredentialProvider Provider, AccessKeyCredential Credential)> ResolveAsync(Action<CredentialChainOptions>? configure = null)
    {
        var provider = CredentialChain.Resolve(_t.Options(configure));
        AssertNoSecrets(provider.Description);
        var credential = await provider.GetCredentialAsync(CancellationToken.None);
        AssertNoSecrets(credential.ToString());
        AssertNoSecrets(credential.Source);
        return (provider, credential);
    }

    private T Fails<T>(Action<CredentialChainOptions>? configure = null) where T : Exception
    {
        var ex = Assert.Throws<T>(() => CredentialChain.Resolve(_t.Options(configure)));
        AssertNoSecrets(ex);
        return ex;
    }

    private CredentialException FailsWith(string errorId, Action<CredentialChainOptions>? configure = null)
    {
        var ex = Fails<CredentialException>(configure);
        Assert.Equal(errorId, ex.ErrorId);
        return ex;
    }

    // ---- 1/2: explicit parameters ----

    [Fact]
    public async Task Explicit_beats_profile_name_environment_and_files()
    {
        _t.WithCliFile().WithIniFile().WithEnvKeys();
        _t.Env[Env.EcsMetadata] = "role";
        var (provider, c) = await ResolveAsync(o =>
        {
            o.AccessKeyId = ExplicitId; o.AccessKeySecret = ExplicitSecret; o.SecurityToken = ExplicitToken;
            o.ExplicitSourceName = "-Credential"; o.ProfileName = "sts";
        });
        Assert.Equal((ExplicitId, ExplicitSecret, ExplicitToken), (c.AccessKeyId, c.AccessKeySecret, c.SecurityToken));
        Assert.IsType<StaticCredentialProvider>(provider);
        Assert.Equal($"explicit parameters (-Credential), AccessKeyId {AccessKeyCredential.Mask(ExplicitId)}, with STS token", provider.Description);
    }

    [Fact]
    public void Explicit_id_without_secret_is_incomplete()
    {
        _t.WithEnvKeys();
        var ex = FailsWith(CredentialErrorIds.IncompleteCredential, o => o.AccessKeyId = ExplicitId);
        Assert.Contains("-AccessKeyId/-AccessKeySecret", ex.Message);
        FailsWith(CredentialErrorIds.IncompleteCredential, o => o.AccessKeySecret = ExplicitSecret);
        FailsWith(CredentialErrorIds.IncompleteCredential, o => o.SecurityToken = ExplicitToken);
    }

    // ---- 3: -ProfileName ----

    [Fact]
    public async Task Profile_name_beats_environment()
    {
        _t.WithCliFile().WithEnvKeys();
        var (provider, c) = await ResolveAsync(o => o.ProfileName = "sts");
        Assert.Equal((CliStsId, CliStsSecret, CliStsToken), (c.AccessKeyId, c.AccessKeySecret, c.SecurityToken));
        Assert.Equal($"profile 'sts' (mode StsToken) in {_t.CliPath}, named by -ProfileName, AccessKeyId {AccessKeyCredential.Mask(CliStsId)}, with STS token", provider.Description);
    }

    [Fact]
    public async Task Cli_file_is_searched_before_ini_file()
    {
        _t.WithCliFile().WithIniFile();
        var (_, c) = await ResolveAsync(o => o.ProfileName = "default");
        Assert.Equal(CliId, c.AccessKeyId);
    }

    [Fact]
    public async Task Profile_name_found_in_ini_file()
    {
        _t.WithCliFile().WithIniFile();
        var (provider, c) = await ResolveAsync(o => o.ProfileName = "ini-only");
        Assert.Equal((IniId, IniSecret, null), (c.AccessKeyId, c.AccessKeySecret, c.SecurityToken));
        Assert.Equal($"profile [ini-only] (type access_key) in {_t.IniPath}, named by -ProfileName, AccessKeyId {AccessKeyCredential.Mask(IniId)}", provider.Description);
    }

    [Fact]
    public void Missing_profile_is_an_error_naming_both_files_and_existing_profiles_never_a_fallback()
    {
        _t.WithCliFile().WithIniFile().WithEnvKeys();
        _t.Env[Env.EcsMetadata] = "role";
        var ex = FailsWith(CredentialErrorIds.ProfileNotFound, o => o.ProfileName = "prod");
        Assert.Contains("'prod'", ex.Message);
        Assert.Contains(_t.CliPath, ex.Message);
        Assert.Contains(_t.IniPath, ex.Message);
        Assert.Contains("default, sts, ecs, arn", ex.Message);
        Assert.Contains("default, ini-only, ini-ecs, arn", ex.Message);
    }

    [Fact]
    public void Missing_profile_without_any_file_says_so()
    {
        var ex = FailsWith(CredentialErrorIds.ProfileNotFound, o => o.ProfileName = "prod");
        Assert.Contains("file not found", ex.Message);
        Assert.Contains(_t.CliPath, ex.Message);
        Assert.Contains(".alibabacloud", ex.Message);
    }

    [Fact]
    public async Task Cli_ecs_profile_gives_ecs_provider_without_network()
    {
        _t.WithCliFile();
        var provider = CredentialChain.Resolve(_t.Options(o => o.ProfileName = "ecs"));
        var ecs = Assert.IsType<EcsRamRoleCredentialProvider>(provider);
        Assert.Equal("cli-role", ecs.RoleName);
        Assert.Contains("profile 'ecs' (mode EcsRamRole)", provider.Description);
        Assert.Contains("ECS instance RAM role 'cli-role'", provider.Description);
        await Task.CompletedTask;
    }

    [Fact]
    public void Ini_ecs_profile_gives_ecs_provider()
    {
        _t.WithIniFile();
        var ecs = Assert.IsType<EcsRamRoleCredentialProvider>(CredentialChain.Resolve(_t.Options(o => o.ProfileName = "ini-ecs")));
        Assert.Equal("ini-role", ecs.RoleName);
        Assert.Contains("(type ecs_ram_role)", ecs.Description);
    }

    [Fact]
    public void Ecs_profile_with_metadata_disabled_is_an_error()
    {
        _t.WithCliFile();
        _t.Env[Env.EcsMetadataDisabled] = "TRUE";
        FailsWith(CredentialErrorIds.EcsMetadataDisabled, o => o.ProfileName = "ecs");
    }

    [Theory]
    [InlineData("rsa", "RsaKeyPair")]
    [InlineData("bearer", "BearerToken")]
    [InlineData("anon", "Anonymous")]
    [InlineData("odd", "Bogus")]
    public void Unsupported_cli_mode_is_a_clear_error(string name, string mode)
    {
        _t.WithCliText($$"""{"profiles":[{"name":"{{name}}","mode":"{{mode}}","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}"}]}""");
        var ex = FailsWith(CredentialErrorIds.UnsupportedProfileMode, o => o.ProfileName = name);
        Assert.Contains(mode, ex.Message);
        Assert.Contains(_t.CliPath, ex.Message);
        Assert.Contains("AK, StsToken, EcsRamRole, RamRoleArn, ChainableRamRoleArn", ex.Message);
    }

    [Theory]
    [InlineData("CloudSSO")]
    [InlineData("OAuth")]
    public void Interactive_cli_mode_says_what_to_do_instead(string mode)
    {
        _t.WithCliText($$"""{"profiles":[{"name":"sso","mode":"{{mode}}","cloud_sso_sign_in_url":"https://signin.example/"}]}""");
        var ex = FailsWith(CredentialErrorIds.InteractiveProfileMode, o => o.ProfileName = "sso");
        Assert.Contains(mode, ex.Message);
        Assert.Contains("browser", ex.Message);
        Assert.Contains($"aliyun configure --profile sso --mode {mode}", ex.Message);
        Assert.Contains("External", ex.Message);
    }

    [Fact]
    public void Unsupported_ini_type_is_a_clear_error()
    {
        _t.WithIniText("[rsa]\ntype = rsa_key_pair\npublic_key_id = x\n");
        var ex = FailsWith(CredentialErrorIds.UnsupportedProfileMode, o => o.ProfileName = "rsa");
        Assert.Contains("rsa_key_pair", ex.Message);
        Assert.Contains("ram_role_arn, oidc_role_arn, credentials_uri", ex.Message);
    }

    [Fact]
    public void Unsupported_current_cli_profile_is_an_error_not_a_silent_fallback()
    {
        _t.WithCliText("""{"current":"rsa","profiles":[{"name":"rsa","mode":"RsaKeyPair","private_key":"x","key_pair_name":"y"}]}""").WithIniFile();
        FailsWith(CredentialErrorIds.UnsupportedProfileMode);
    }

    [Fact]
    public void Missing_fields_name_profile_and_field()
    {
        _t.WithCliText($$"""{"profiles":[{"name":"half","mode":"StsToken","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}"}]}""");
        var ex = FailsWith(CredentialErrorIds.IncompleteProfile, o => o.ProfileName = "half");
        Assert.Contains("'half'", ex.Message);
        Assert.Contains("'sts_token'", ex.Message);

        _t.WithIniText("[x]\ntype=access_key\naccess_key_id=abc\n");
        ex = FailsWith(CredentialErrorIds.IncompleteProfile, o => o.ProfileName = "x");
        Assert.Contains("[x]", ex.Message);
        Assert.Contains("'access_key_secret'", ex.Message);

        _t.WithIniText($"[y]\naccess_key_id={IniId}\naccess_key_secret={IniSecret}\n");
        ex = FailsWith(CredentialErrorIds.IncompleteProfile, o => o.ProfileName = "y");
        Assert.Contains("'type'", ex.Message);
    }

    [Theory]
    [InlineData("{\"profiles\":[{\"name\":\"default\",\"access_key_secret\":\"cliSecretAAAAAAAAAAAAAAAAAAAAA\"")]   // truncated
    [InlineData("cliSecretAAAAAAAAAAAAAAAAAAAAA")]                                                                 // not JSON at all
    [InlineData("{\"profiles\":{\"access_key_secret\":\"cliSecretAAAAAAAAAAAAAAAAAAAAA\"}}")]                     // wrong shape
    [InlineData("[\"cliSecretAAAAAAAAAAAAAAAAAAAAA\"]")]
    public void Malformed_cli_file_names_file_and_never_echoes_content(string text)
    {
        _t.WithCliText(text);
        var ex = FailsWith(CredentialErrorIds.InvalidCredentialFile, o => o.ProfileName = "default");
        Assert.Contains(_t.CliPath, ex.Message);
        Assert.Null(ex.InnerException);
        // Also in the default chain.
        FailsWith(CredentialErrorIds.InvalidCredentialFile);
    }

    [Theory]
    [InlineData("[default\ntype=access_key\naccess_key_secret=iniSecretDDDDDDDDDDDDDDDDDDDDD\n")]
    [InlineData("access_key_secret=iniSecretDDDDDDDDDDDDDDDDDDDDD\n[default]\n")]
    [InlineData("[default]\niniSecretDDDDDDDDDDDDDDDDDDDDD\n")]
    public void Malformed_ini_file_names_file_and_line_and_never_echoes_content(string text)
    {
        _t.WithIniText(text);
        var ex = FailsWith(CredentialErrorIds.InvalidCredentialFile);
        Assert.Contains(_t.IniPath, ex.Message);
        Assert.Contains("line ", ex.Message);
    }

    // ---- 4: environment ----

    [Fact]
    public async Task Environment_beats_default_profiles()
    {
        _t.WithCliFile().WithIniFile().WithEnvKeys(token: true);
        var (provider, c) = await ResolveAsync();
        Assert.Equal((EnvId, EnvSecret, EnvToken), (c.AccessKeyId, c.AccessKeySecret, c.SecurityToken));
        Assert.Equal($"environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET/ALIBABA_CLOUD_SECURITY_TOKEN, AccessKeyId {AccessKeyCredential.Mask(EnvId)}, with STS token", provider.Description);
    }

    [Theory]
    [InlineData(Env.AccessKeyId, EnvId)]
    [InlineData(Env.AccessKeySecret, EnvSecret)]
    public void Only_one_environment_key_is_incomplete(string name, string value)
    {
        _t.WithCliFile();
        _t.Env[name] = value;
        var ex = FailsWith(CredentialErrorIds.IncompleteCredential);
        Assert.Contains(Env.AccessKeyId, ex.Message);
        Assert.Contains(Env.AccessKeySecret, ex.Message);
    }

    [Fact]
    public async Task Empty_environment_variables_count_as_unset()
    {
        _t.WithIniFile();
        _t.Env[Env.AccessKeyId] = "";
        _t.Env[Env.AccessKeySecret] = "  ";
        _t.Env[Env.EcsMetadata] = " ";
        var (_, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
    }

    [Fact]
    public async Task Alibaba_cloud_profile_variable_selects_a_profile()
    {
        _t.WithCliFile().WithIniFile();
        _t.Env[Env.Profile] = "ini-only";
        var (provider, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
        Assert.Contains("named by environment variable ALIBABA_CLOUD_PROFILE", provider.Description);
    }

    [Fact]
    public void Alibaba_cloud_profile_variable_naming_a_missing_profile_is_an_error()
    {
        _t.WithCliFile().WithIniFile();
        _t.Env[Env.Profile] = "nope";
        var ex = FailsWith(CredentialErrorIds.ProfileNotFound);
        Assert.Contains("ALIBABA_CLOUD_PROFILE", ex.Message);
    }

    [Fact]
    public async Task Environment_keys_beat_alibaba_cloud_profile_and_profile_name_beats_both()
    {
        _t.WithCliFile().WithEnvKeys();
        _t.Env[Env.Profile] = "nope";
        var (_, c) = await ResolveAsync();
        Assert.Equal(EnvId, c.AccessKeyId);
        (_, c) = await ResolveAsync(o => o.ProfileName = "sts");
        Assert.Equal(CliStsId, c.AccessKeyId);
    }

    // ---- 5: default profiles ----

    [Fact]
    public async Task Current_cli_profile_beats_ini_default()
    {
        _t.WithCliFile(current: "sts").WithIniFile();
        var (provider, c) = await ResolveAsync();
        Assert.Equal(CliStsId, c.AccessKeyId);
        Assert.Contains("the CLI's current profile", provider.Description);
    }

    [Fact]
    public async Task Cli_file_without_current_uses_default()
    {
        _t.WithCliText($$"""{"profiles":[{"name":"other","mode":"AK","access_key_id":"x","access_key_secret":"y"},{"name":"default","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}"}]}""");
        var (provider, c) = await ResolveAsync();
        Assert.Equal(CliId, c.AccessKeyId);
        Assert.Contains("profile 'default' (mode AK)", provider.Description);
    }

    [Fact]
    public async Task Missing_current_cli_profile_falls_to_ini_default()
    {
        _t.WithCliFile(current: "gone").WithIniFile();
        CredentialChain.Resolve(_t.Options(), out var places);
        Assert.Contains($"{_t.CliPath} current profile 'gone': no such profile", places);
        var (_, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
    }

    [Fact]
    public async Task Cli_profile_disabled_skips_the_cli_file()
    {
        _t.WithCliFile().WithIniFile();
        _t.Env[Env.CliProfileDisabled] = "true";
        var (provider, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
        Assert.Equal($"profile [default] (type access_key) in {_t.IniPath}, the default profile, AccessKeyId {AccessKeyCredential.Mask(IniId)}", provider.Description);
        CredentialChain.Resolve(_t.Options(), out var places);
        Assert.Contains($"{_t.CliPath}: skipped (ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true)", places);
    }

    [Fact]
    public async Task Cli_profile_disabled_does_not_hide_an_explicitly_named_cli_profile()
    {
        _t.WithCliFile();
        _t.Env[Env.CliProfileDisabled] = "true";
        var (_, c) = await ResolveAsync(o => o.ProfileName = "sts");
        Assert.Equal(CliStsId, c.AccessKeyId);
    }

    [Fact]
    public async Task Credentials_file_variable_moves_the_ini_file()
    {
        var custom = Path.Combine(_t.Home, "elsewhere", "creds");
        _t.WithIniFile(custom);
        _t.WithIniText("[default]\ntype=access_key\naccess_key_id=wrongwrongwrong\naccess_key_secret=wrong\n");
        _t.Env[Env.CredentialsFile] = custom;
        var (provider, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
        Assert.Contains(custom, provider.Description);

        _t.Env[Env.CredentialsFile] = "~/elsewhere/creds";
        (_, c) = await ResolveAsync(o => o.ProfileName = "ini-only");
        Assert.Equal(IniId, c.AccessKeyId);
    }

    [Fact]
    public void Credentials_file_variable_pointing_nowhere_is_reported()
    {
        _t.WithIniFile();
        _t.Env[Env.CredentialsFile] = Path.Combine(_t.Home, "missing");
        var ex = Fails<CredentialNotFoundException>();
        Assert.Contains($"{Path.Combine(_t.Home, "missing")} (ALIBABA_CLOUD_CREDENTIALS_FILE): file not found", ex.PlacesLookedAt);
    }

    [Fact]
    public async Task Credentials_ini_is_accepted_when_credentials_is_absent()
    {
        _t.WithIniFile(_t.IniPath + ".ini");
        var (provider, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
        Assert.Contains("credentials.ini", provider.Description);
    }

    [Fact]
    public async Task Default_profiles_beat_ecs_role()
    {
        _t.WithIniFile();
        _t.Env[Env.EcsMetadata] = "role";
        var (_, c) = await ResolveAsync();
        Assert.Equal(IniId, c.AccessKeyId);
    }

    // ---- 6: ECS ----

    [Fact]
    public void Ecs_role_variable_gives_ecs_provider_without_network()
    {
        _t.Env[Env.EcsMetadata] = "my-role";
        _t.Env[Env.ImdsV1Disabled] = "true";
        var provider = CredentialChain.Resolve(_t.Options(), out var places);
        var ecs = Assert.IsType<EcsRamRoleCredentialProvider>(provider);
        Assert.Equal("my-role", ecs.RoleName);
        Assert.Equal("ECS instance RAM role 'my-role' via metadata service http://127.0.0.1:9/ (IMDSv2, v1 fallback disabled), role named by ALIBABA_CLOUD_ECS_METADATA", provider.Description);
        Assert.Equal("ECS instance RAM role 'my-role' (ALIBABA_CLOUD_ECS_METADATA): found", places[^1]);
    }

    [Fact]
    public void Ecs_endpoint_comes_from_options_then_dypls_variable_then_default()
    {
        _t.Env[Env.EcsMetadata] = "r";
        _t.Env[Env.DyplsEcsMetadataEndpoint] = "http://127.0.0.1:5/meta";
        var fromEnv = (EcsRamRoleCredentialProvider)CredentialChain.Resolve(_t.Options(o => o.EcsMetadataEndpoint = null));
        Assert.Equal("http://127.0.0.1:5/meta/", fromEnv.Endpoint.AbsoluteUri);
        var fromOptions = (EcsRamRoleCredentialProvider)CredentialChain.Resolve(_t.Options());
        Assert.Equal("http://127.0.0.1:9/", fromOptions.Endpoint.AbsoluteUri);
        _t.Env.Remove(Env.DyplsEcsMetadataEndpoint);
        var byDefault = (EcsRamRoleCredentialProvider)CredentialChain.Resolve(_t.Options(o => o.EcsMetadataEndpoint = null));
        Assert.Equal("http://100.100.100.200/", byDefault.Endpoint.AbsoluteUri);
        _t.Env[Env.DyplsEcsMetadataEndpoint] = "not a url";
        FailsWith(CredentialErrorIds.InvalidEcsMetadataEndpoint, o => o.EcsMetadataEndpoint = null);
    }

    [Fact]
    public void Ecs_metadata_disabled_turns_the_ecs_step_off()
    {
        _t.Env[Env.EcsMetadata] = "my-role";
        _t.Env[Env.EcsMetadataDisabled] = "true";
        var ex = Fails<CredentialNotFoundException>();
        Assert.Equal("ECS instance RAM role: disabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)", ex.PlacesLookedAt[^2]);
    }

    // ---- nothing found ----

    [Fact]
    public void Nothing_found_lists_every_place_in_order()
    {
        var ex = Fails<CredentialNotFoundException>();
        Assert.Equal(CredentialErrorIds.CredentialNotFound, ex.ErrorId);
        var ini = _t.IniPath;
        Assert.Equal(new[]
        {
            "explicit parameters: none given",
            "profile name (-ProfileName): none given",
            "environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set",
            "environment variables ALIBABA_CLOUD_ROLE_ARN/ALIBABA_CLOUD_OIDC_PROVIDER_ARN/ALIBABA_CLOUD_OIDC_TOKEN_FILE (RRSA): not set",
            "environment variable ALIBABA_CLOUD_PROFILE: not set",
            $"{_t.CliPath}: file not found",
            $"{ini} (or {ini}.ini): file not found",
            "ECS instance RAM role: skipped (set ALIBABA_CLOUD_ECS_METADATA to the role name on an ECS instance)",
            "environment variable ALIBABA_CLOUD_CREDENTIALS_URI: not set",
        }, ex.PlacesLookedAt);
        foreach (var place in ex.PlacesLookedAt) Assert.Contains(place, ex.Message);
    }

    [Fact]
    public void Nothing_found_with_files_lacking_default_profiles()
    {
        _t.WithCliText("""{"current":"","profiles":[]}""").WithIniText("[other]\ntype=access_key\n");
        var ex = Fails<CredentialNotFoundException>();
        Assert.Contains($"{_t.CliPath} current profile 'default': no such profile", ex.PlacesLookedAt);
        Assert.Contains($"{_t.IniPath} [default]: no such section", ex.PlacesLookedAt);
    }

    [Fact]
    public void Places_looked_at_end_with_the_winner()
    {
        _t.WithCliFile();
        CredentialChain.Resolve(_t.Options(), out var places);
        Assert.Equal($"{_t.CliPath} current profile 'default': found", places[^1]);
        Assert.Equal(6, places.Count);
    }

    [Fact]
    public void No_home_folder_never_reads_relative_paths()
    {
        var ex = Fails<CredentialNotFoundException>(o => o.HomeDirectory = "");
        Assert.Contains("~/.aliyun/config.json (no home folder): file not found", ex.PlacesLookedAt);
        Assert.Contains("~/.alibabacloud/credentials (no home folder): file not found", ex.PlacesLookedAt);
    }

    [Fact]
    public void Ecs_providers_are_shared_only_with_the_system_clock_and_client()
    {
        _t.Env[Env.EcsMetadata] = "shared-role";
        var a = CredentialChain.Resolve(_t.Options());
        var b = CredentialChain.Resolve(_t.Options());
        Assert.Same(a, b);
        var withClock = CredentialChain.Resolve(_t.Options(o => o.Clock = () => DateTimeOffset.FromUnixTimeSeconds(0)));
        Assert.NotSame(a, withClock);
        _t.Env[Env.ImdsV1Disabled] = "true";
        Assert.NotSame(a, CredentialChain.Resolve(_t.Options()));
    }
}
