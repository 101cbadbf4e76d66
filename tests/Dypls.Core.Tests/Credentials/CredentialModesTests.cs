using System.Runtime.InteropServices;
using Dypls.Credentials;
using Xunit;
using static Dypls.Core.Tests.Credentials.CredentialTestHome;
using Env = Dypls.Credentials.CredentialEnvironmentVariables;

namespace Dypls.Core.Tests.Credentials;

/// <summary>The modes that hand out temporary credentials: RamRoleArn, ChainableRamRoleArn, OIDC, CredentialsURI, External.</summary>
public sealed class CredentialModesTests : IDisposable
{
    private const string RoleArn = "acs:ram::1234567890123456:role/recordings-reader";
    private const string OidcProviderArn = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123";
    private const string OidcToken = "oidcTokenNNNNNNNNNNNNNNNNNNNNNN";

    private readonly CredentialTestHome _t = new();
    private readonly FakeStsServer _sts;
    private DateTimeOffset _now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    public CredentialModesTests()
    {
        _sts = new FakeStsServer(() => _now);
        _sts.Accept(CliId, CliSecret);
        _sts.Accept(IniId, IniSecret);
        _sts.Accept(EnvId, EnvSecret);
    }

    public void Dispose()
    {
        _sts.Dispose();
        _t.Dispose();
    }

    private string TokenFile()
    {
        var path = Path.Combine(_t.Home, "oidc-token");
        File.WriteAllText(path, OidcToken + "\n");
        return path;
    }

    // A fake clock turns off process-wide sharing, so every test gets its own providers.
    private ICredentialProvider Resolve(Action<CredentialChainOptions>? configure = null)
    {
        var provider = CredentialChain.Resolve(_t.Options(o =>
        {
            o.Clock = () => _now;
            configure?.Invoke(o);
        }));
        AssertClean(provider.Description);
        return provider;
    }

    private static void AssertClean(string text)
    {
        AssertNoSecrets(text);
        Assert.DoesNotContain(OidcToken, text);
        Assert.DoesNotContain(FakeStsServer.SessionSecretPrefix, text);
        Assert.DoesNotContain(FakeStsServer.SessionTokenPrefix, text);
    }

    private static void AssertClean(Exception ex)
    {
        for (Exception? e = ex; e != null; e = e.InnerException) AssertClean(e.Message);
        AssertClean(ex.ToString());
    }

    private static async Task<CredentialException> FailsAsync(ICredentialProvider provider, string errorId = CredentialErrorIds.CredentialSourceFailed)
    {
        var ex = await Assert.ThrowsAsync<CredentialException>(() => provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        AssertClean(ex);
        return ex;
    }

    private static string Cli(string profiles, string current = "default") =>
        $$"""{"current":"{{current}}","profiles":[{"name":"default","mode":"AK","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}"},{{profiles}}]}""";

    // ---- config.json modes ----

    [Fact]
    public async Task Cli_RamRoleArn_assumes_the_role_signed_by_the_profile_key()
    {
        _t.WithCliText(Cli($$"""{"name":"prod","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}","ram_session_name":"nightly","expired_seconds":1800,"sts_endpoint":"{{_sts.Endpoint}}"}"""));
        var provider = Resolve(o => o.ProfileName = "prod");
        var p = Assert.IsType<RamRoleArnCredentialProvider>(provider);
        Assert.Contains("profile 'prod' (mode RamRoleArn)", p.Description);
        Assert.Contains("(RamRoleArn, role " + RoleArn + ")", p.Description);
        Assert.Contains("session 'nightly'", p.Description);
        Assert.Contains(AccessKeyCredential.Mask(CliId), p.Description);

        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.session1", c.AccessKeyId);
        Assert.StartsWith(FakeStsServer.SessionTokenPrefix, c.SecurityToken);
        Assert.Equal(_now.AddHours(1), c.Expiration);
        AssertClean(c.ToString());
        var sent = Assert.Single(_sts.Received);
        Assert.Equal("AssumeRole", sent["Action"]);
        Assert.Equal("2015-04-01", sent["Version"]);
        Assert.Equal(CliId, sent["AccessKeyId"]);
        Assert.Equal(RoleArn, sent["RoleArn"]);
        Assert.Equal("nightly", sent["RoleSessionName"]);
        Assert.Equal("1800", sent["DurationSeconds"]);
        Assert.Equal("HMAC-SHA1", sent["SignatureMethod"]);
    }

    [Fact]
    public async Task Cli_ChainableRamRoleArn_signs_with_the_source_profiles_session()
    {
        _t.WithCliText(Cli($$"""
            {"name":"hop1","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"acs:ram::1:role/hop1","sts_endpoint":"{{_sts.Endpoint}}"},
            {"name":"hop2","mode":"ChainableRamRoleArn","source_profile":"hop1","ram_role_arn":"{{RoleArn}}","ram_session_name":"chained","sts_endpoint":"{{_sts.Endpoint}}"}
            """));
        var provider = Resolve(o => o.ProfileName = "hop2");
        Assert.Contains("source_profile of profile 'hop2'", provider.Description);
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.session2", c.AccessKeyId);
        var sent = _sts.Received;
        Assert.Equal(2, sent.Count);
        Assert.Equal(CliId, sent[0]["AccessKeyId"]);
        Assert.Equal("STS.session1", sent[1]["AccessKeyId"]);          // the first session signs the second
        Assert.Equal(FakeStsServer.SessionTokenPrefix + "1", sent[1]["SecurityToken"]);
        Assert.Equal(RoleArn, sent[1]["RoleArn"]);
    }

    [Fact]
    public void Cli_ChainableRamRoleArn_loops_and_missing_sources_are_clear_errors()
    {
        _t.WithCliText(Cli("""
            {"name":"a","mode":"ChainableRamRoleArn","source_profile":"b","ram_role_arn":"acs:ram::1:role/a"},
            {"name":"b","mode":"ChainableRamRoleArn","source_profile":"a","ram_role_arn":"acs:ram::1:role/b"},
            {"name":"c","mode":"ChainableRamRoleArn","source_profile":"nosuch","ram_role_arn":"acs:ram::1:role/c"}
            """));
        var loop = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "a"));
        Assert.Equal(CredentialErrorIds.InvalidProfile, loop.ErrorId);
        Assert.Contains("circle", loop.Message);
        var missing = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "c"));
        Assert.Equal(CredentialErrorIds.ProfileNotFound, missing.ErrorId);
        Assert.Contains("'nosuch'", missing.Message);
    }

    [Fact]
    public async Task Cli_OIDC_sends_the_token_file_content_unsigned()
    {
        var file = TokenFile();
        _t.WithCliText(Cli($$"""{"name":"pod","mode":"OIDC","ram_role_arn":"{{RoleArn}}","oidc_provider_arn":"{{OidcProviderArn}}","oidc_token_file":"{{file.Replace("\\", "\\\\")}}","ram_session_name":"pod-1","sts_endpoint":"{{_sts.Endpoint}}"}"""));
        var provider = Resolve(o => o.ProfileName = "pod");
        Assert.IsType<OidcRoleArnCredentialProvider>(provider);
        Assert.Contains("(OIDC, role " + RoleArn + ")", provider.Description);
        Assert.Contains(file, provider.Description);
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.session1", c.AccessKeyId);
        var sent = Assert.Single(_sts.Received);
        Assert.Equal("AssumeRoleWithOIDC", sent["Action"]);
        Assert.Equal(OidcToken, sent["OIDCToken"]);
        Assert.Equal(OidcProviderArn, sent["OIDCProviderArn"]);
        Assert.Equal("pod-1", sent["RoleSessionName"]);
        Assert.False(sent.ContainsKey("Signature"));
        Assert.False(sent.ContainsKey("AccessKeyId"));
    }

    [Fact]
    public async Task Missing_OIDC_token_file_fails_at_use_without_leaking()
    {
        _t.WithCliText(Cli($$"""{"name":"pod","mode":"OIDC","ram_role_arn":"{{RoleArn}}","oidc_provider_arn":"{{OidcProviderArn}}","oidc_token_file":"/no/such/token","sts_endpoint":"{{_sts.Endpoint}}"}"""));
        var ex = await FailsAsync(Resolve(o => o.ProfileName = "pod"));
        Assert.Contains("/no/such/token", ex.Message);
        Assert.Contains("RRSA", ex.Message);
        Assert.Equal(0, _sts.Requests);
    }

    [Fact]
    public async Task Cli_CredentialsURI_reads_Code_keys_and_Expiration()
    {
        _t.WithCliText(Cli($$"""{"name":"svc","mode":"CredentialsURI","credentials_uri":"{{_sts.Endpoint}}credentials?key=q"}"""));
        var provider = Resolve(o => o.ProfileName = "svc");
        Assert.IsType<CredentialsUriCredentialProvider>(provider);
        Assert.DoesNotContain("key=q", provider.Description);
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.session1", c.AccessKeyId);
        Assert.Equal(_now.AddHours(1), c.Expiration);

        _sts.UriBody = """{"Code":"Failed","AccessKeyId":"x","AccessKeySecret":"stsSessionSecretLLLLLLLLLLLL9","SecurityToken":"t"}""";
        _now = _now.AddHours(2);
        var ex = await FailsAsync(provider);
        Assert.Contains("Code is 'Failed'", ex.Message);
    }

    [Fact]
    public void Cli_CredentialsURI_without_uri_uses_the_environment_or_says_what_is_missing()
    {
        _t.WithCliText(Cli("""{"name":"svc","mode":"CredentialsURI"}"""));
        var ex = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "svc"));
        Assert.Equal(CredentialErrorIds.IncompleteProfile, ex.ErrorId);
        Assert.Contains(Env.CredentialsUri, ex.Message);
        _t.Env[Env.CredentialsUri] = _sts.Endpoint + "credentials";
        Assert.IsType<CredentialsUriCredentialProvider>(Resolve(o => o.ProfileName = "svc"));
    }

    [Fact]
    public async Task Cli_External_runs_the_command_and_parses_its_json()
    {
        var json = Path.Combine(_t.Home, "out.json");
        var expiration = _now.AddMinutes(30).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(json, $$"""{"mode":"StsToken","access_key_id":"STS.external1","access_key_secret":"{{FakeStsServer.SessionSecretPrefix}}x","sts_token":"{{FakeStsServer.SessionTokenPrefix}}x","expiration":"{{expiration}}"}""");
        _t.WithCliText(Cli($$"""{"name":"ext","mode":"External","process_command":"{{Escape(CatCommand(json))}}"}"""));
        var provider = Resolve(o => o.ProfileName = "ext");
        Assert.IsType<ExternalProcessCredentialProvider>(provider);
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.external1", c.AccessKeyId);
        Assert.Equal(FakeStsServer.SessionTokenPrefix + "x", c.SecurityToken);
        Assert.Equal(_now.AddMinutes(30), c.Expiration);
    }

    [Fact]
    public async Task Cli_External_failures_never_show_the_output()
    {
        var json = Path.Combine(_t.Home, "bad.json");
        File.WriteAllText(json, $$"""{"access_key_id":"LTAIx","access_key_secret":"{{FakeStsServer.SessionSecretPrefix}}bad" """);
        _t.WithCliText(Cli($$"""{"name":"ext","mode":"External","process_command":"{{Escape(CatCommand(json))}}"}"""));
        var ex = await FailsAsync(Resolve(o => o.ProfileName = "ext"));
        Assert.Contains("not valid JSON", ex.Message);

        _t.WithCliText(Cli($$"""{"name":"ext","mode":"External","process_command":"{{Escape(CatCommand(Path.Combine(_t.Home, "absent.json")))}}"}"""));
        ex = await FailsAsync(Resolve(o => o.ProfileName = "ext"));
        Assert.Contains("exited with code", ex.Message);
    }

    private static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    private static string CatCommand(string file) => IsWindows ? $"cmd /c type \"{file}\"" : $"cat '{file}'";

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");

    // ---- INI types ----

    [Fact]
    public async Task Ini_types_ram_role_arn_oidc_role_arn_and_credentials_uri()
    {
        var file = TokenFile();
        _t.WithIniText(
            $"[arn]\ntype = ram_role_arn\naccess_key_id = {IniId}\naccess_key_secret = {IniSecret}\nrole_arn = {RoleArn}\nrole_session_name = ini-session\n" +
            $"[oidc]\ntype = oidc_role_arn\nrole_arn = {RoleArn}\noidc_provider_arn = {OidcProviderArn}\noidc_token_file_path = {file}\n" +
            $"[uri]\ntype = credentials_uri\ncredentials_uri = {_sts.Endpoint}credentials\n");
        _t.Env[Env.StsEndpoint] = _sts.Endpoint.AbsoluteUri;

        var arn = Resolve(o => o.ProfileName = "arn");
        Assert.Contains("(type ram_role_arn)", arn.Description);
        Assert.Contains("(ram_role_arn, role " + RoleArn + ")", arn.Description);
        Assert.Equal("STS.session1", (await arn.GetCredentialAsync(CancellationToken.None)).AccessKeyId);
        Assert.Equal(IniId, _sts.Received[0]["AccessKeyId"]);
        Assert.Equal("ini-session", _sts.Received[0]["RoleSessionName"]);

        var oidc = Resolve(o => o.ProfileName = "oidc");
        Assert.IsType<OidcRoleArnCredentialProvider>(oidc);
        await oidc.GetCredentialAsync(CancellationToken.None);
        Assert.Equal(OidcToken, _sts.Received[1]["OIDCToken"]);
        Assert.StartsWith("dypls-", _sts.Received[1]["RoleSessionName"]);

        Assert.IsType<CredentialsUriCredentialProvider>(Resolve(o => o.ProfileName = "uri"));
    }

    [Fact]
    public void Ini_ram_role_arn_names_a_missing_field()
    {
        _t.WithIniFile();
        var ex = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "arn"));
        Assert.Equal(CredentialErrorIds.IncompleteProfile, ex.ErrorId);
        Assert.Contains("'access_key_id'", ex.Message);
        Assert.Contains("(type ram_role_arn)", ex.Message);
    }

    // ---- the chain's order ----

    [Fact]
    public void Rrsa_environment_comes_after_access_key_variables_and_before_profiles()
    {
        _t.WithCliFile().WithIniFile();
        _t.Env[Env.RoleArn] = RoleArn;
        _t.Env[Env.OidcProviderArn] = OidcProviderArn;
        _t.Env[Env.OidcTokenFile] = TokenFile();
        _t.Env[Env.RoleSessionName] = "env-session";
        var rrsa = Resolve();
        Assert.IsType<OidcRoleArnCredentialProvider>(rrsa);
        Assert.Contains("RRSA", rrsa.Description);
        Assert.Contains("session 'env-session'", rrsa.Description);

        _t.WithEnvKeys();
        Assert.IsType<StaticCredentialProvider>(Resolve());
    }

    [Fact]
    public void Partial_rrsa_environment_is_skipped_and_said_so()
    {
        _t.Env[Env.RoleArn] = RoleArn;
        var ex = Assert.Throws<CredentialNotFoundException>(() => Resolve());
        Assert.Contains("only some are set", ex.Message);
        Assert.Contains(Env.CredentialsUri, ex.Message);
    }

    [Fact]
    public void Credentials_uri_variable_is_the_last_source()
    {
        _t.Env[Env.CredentialsUri] = _sts.Endpoint + "credentials";
        _t.Env[Env.EcsMetadata] = "role";
        Assert.IsType<EcsRamRoleCredentialProvider>(Resolve());
        _t.Env.Remove(Env.EcsMetadata);
        var p = Resolve();
        Assert.IsType<CredentialsUriCredentialProvider>(p);
        Assert.Contains("environment variable " + Env.CredentialsUri, p.Description);
        _t.WithIniFile();
        Assert.IsType<StaticCredentialProvider>(Resolve());
    }

    // ---- STS endpoint selection ----

    [Theory]
    [InlineData(null, null, false, "https://sts.aliyuncs.com/")]
    [InlineData(null, null, true, "https://sts.aliyuncs.com/")]
    [InlineData(null, "cn-shanghai", false, "https://sts.cn-shanghai.aliyuncs.com/")]
    [InlineData(null, "cn-shanghai", true, "https://sts-vpc.cn-shanghai.aliyuncs.com/")]
    [InlineData("sts-vpc.cn-hangzhou.aliyuncs.com", "cn-shanghai", false, "https://sts-vpc.cn-hangzhou.aliyuncs.com/")]
    [InlineData("127.0.0.1:8443", null, false, "https://127.0.0.1:8443/")]
    [InlineData("https://sts.example.internal/some/path", null, false, "https://sts.example.internal/")]
    [InlineData("http://127.0.0.1:5000/", null, false, "http://127.0.0.1:5000/")]
    [InlineData("http://[::1]:5000", null, false, "http://[::1]:5000/")]
    public void Sts_endpoint_is_chosen_as_the_official_libraries_choose_it(string? endpoint, string? region, bool vpc, string expected) =>
        Assert.Equal(expected, StsEndpoint.Select(endpoint, region, vpc, "test").AbsoluteUri);

    [Theory]
    [InlineData("http://sts.aliyuncs.com/", null, "plain http")]
    [InlineData("ftp://sts.aliyuncs.com/", null, "not an absolute http(s) URL")]
    [InlineData("sts.aliyuncs.com/path", null, "neither a host name")]
    [InlineData(null, "cn-hangzhou.evil.example@x", "not a region id")]
    public void Bad_sts_endpoints_are_refused(string? endpoint, string? region, string expected)
    {
        var ex = Assert.Throws<CredentialException>(() => StsEndpoint.Select(endpoint, region, false, "sts_endpoint of profile 'p'"));
        Assert.Equal(CredentialErrorIds.InvalidStsEndpoint, ex.ErrorId);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("profile 'p'", ex.Message);
    }

    [Fact]
    public void Environment_selects_the_endpoint_unless_the_profile_does()
    {
        _t.WithCliText(Cli($$"""
            {"name":"env","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}"},
            {"name":"own","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}","sts_region":"cn-beijing","enable_vpc":true}
            """));
        _t.Env[Env.StsRegion] = "ap-southeast-1";
        _t.Env[Env.VpcEndpointEnabled] = "true";
        Assert.Equal("https://sts-vpc.ap-southeast-1.aliyuncs.com/", ((RamRoleArnCredentialProvider)Resolve(o => o.ProfileName = "env")).Sts.Endpoint.AbsoluteUri);
        Assert.Equal("https://sts-vpc.cn-beijing.aliyuncs.com/", ((RamRoleArnCredentialProvider)Resolve(o => o.ProfileName = "own")).Sts.Endpoint.AbsoluteUri);
        _t.Env[Env.StsEndpoint] = "sts.cn-zhangjiakou.aliyuncs.com";
        Assert.Equal("https://sts.cn-zhangjiakou.aliyuncs.com/", ((RamRoleArnCredentialProvider)Resolve(o => o.ProfileName = "env")).Sts.Endpoint.AbsoluteUri);
        _t.Env[Env.StsEndpoint] = "http://sts.cn-zhangjiakou.aliyuncs.com";
        var ex = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "env"));
        Assert.Contains("environment variable " + Env.StsEndpoint, ex.Message);
    }

    [Fact]
    public void Sessions_shorter_than_900_seconds_are_refused_like_the_official_libraries()
    {
        _t.WithCliText(Cli($$"""{"name":"short","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}","expired_seconds":60}"""));
        var ex = Assert.Throws<CredentialException>(() => Resolve(o => o.ProfileName = "short"));
        Assert.Equal(CredentialErrorIds.InvalidProfile, ex.ErrorId);
        Assert.Contains("900", ex.Message);
    }

    // ---- refresh timing, single flight, failures ----

    [Theory]
    [InlineData(3600, 3240)]  // 1 h: 10% (6 min) early
    [InlineData(900, 720)]    // 15 min: 3 min early
    [InlineData(10, 5)]       // 10 s: half-way
    public void Refresh_time_is_a_margin_before_expiry(int lifetimeSeconds, int refreshAfterSeconds)
    {
        var now = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddSeconds(refreshAfterSeconds), RefreshingCredentialProvider.RefreshTime(now.AddSeconds(lifetimeSeconds), now));
    }

    private ICredentialProvider ArnProvider()
    {
        _t.WithCliText(Cli($$"""{"name":"prod","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}","sts_endpoint":"{{_sts.Endpoint}}"}"""));
        return Resolve(o => o.ProfileName = "prod");
    }

    [Fact]
    public async Task Session_is_cached_until_shortly_before_expiry_then_refreshed()
    {
        var provider = ArnProvider();
        var first = await provider.GetCredentialAsync(CancellationToken.None);
        _now = _now.AddMinutes(53);
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(1, _sts.Requests);
        _now = _now.AddMinutes(2); // 55 min: inside the 6 min margin
        var second = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.NotEqual(first.AccessKeyId, second.AccessKeyId);
        Assert.Equal(2, _sts.Requests);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_fetch()
    {
        var provider = ArnProvider();
        _sts.Delay = TimeSpan.FromMilliseconds(300);
        var all = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => provider.GetCredentialAsync(CancellationToken.None))));
        Assert.Equal(1, _sts.Requests);
        Assert.All(all, c => Assert.Same(all[0], c));
    }

    [Fact]
    public async Task A_failure_is_remembered_briefly_so_rows_do_not_ask_again_one_after_another()
    {
        var provider = ArnProvider();
        _sts.ErrorCode = "EntityNotExist.Role";
        _sts.Status = 404;
        var tasks = Enumerable.Range(0, 40).Select(_ => Task.Run(() => provider.GetCredentialAsync(CancellationToken.None))).ToArray();
        foreach (var t in tasks)
        {
            var ex = await Assert.ThrowsAsync<CredentialException>(() => t);
            Assert.Equal(CredentialErrorIds.CredentialSourceFailed, ex.ErrorId);
            Assert.Contains("EntityNotExist.Role", ex.Message);
            Assert.Contains("does not exist", ex.Message);
            AssertClean(ex);
        }
        Assert.Equal(1, _sts.Requests);
        _now += RefreshingCredentialProvider.FailureCacheTime + TimeSpan.FromSeconds(1);
        await FailsAsync(provider);
        Assert.Equal(2, _sts.Requests);
    }

    [Theory]
    [InlineData("NoPermission", 403, "may not assume")]
    [InlineData("InvalidParameter.RoleSessionName", 400, "2 to 64")]
    [InlineData("InvalidAccessKeyId.NotFound", 404, "access_key_secret")]
    [InlineData("SignatureDoesNotMatch", 400, "access_key_id")]
    [InlineData("AuthenticationFail.OIDCToken.Invalid", 400, "token file")]
    public async Task Sts_errors_name_the_code_and_what_to_do(string code, int status, string advice)
    {
        var provider = ArnProvider();
        _sts.ErrorCode = code;
        _sts.Status = status;
        var ex = await FailsAsync(provider);
        Assert.Contains("STS code " + code, ex.Message);
        Assert.Contains(advice, ex.Message);
        Assert.Contains(RoleArn, ex.Message);
        Assert.DoesNotContain("string to sign", ex.Message);
        Assert.Equal(1, _sts.Requests);
    }

    [Fact]
    public async Task Throttling_is_retried_then_reported_once()
    {
        var provider = ArnProvider();
        _sts.ErrorCode = "Throttling.User";
        var ex = await FailsAsync(provider);
        Assert.Contains("Throttling.User", ex.Message);
        Assert.Contains("throttled", ex.Message);
        Assert.Equal(3, _sts.Requests);
    }

    [Fact]
    public async Task Unreachable_sts_fails_with_what_to_check()
    {
        _t.WithCliText(Cli($$"""{"name":"prod","mode":"RamRoleArn","access_key_id":"{{CliId}}","access_key_secret":"{{CliSecret}}","ram_role_arn":"{{RoleArn}}","sts_endpoint":"http://127.0.0.1:9/"}"""));
        var ex = await FailsAsync(Resolve(o => o.ProfileName = "prod"));
        Assert.Contains("after 3 attempts", ex.Message);
        Assert.Contains(Env.StsEndpoint, ex.Message);
    }

    [Fact]
    public async Task A_failed_refresh_keeps_serving_a_session_that_still_works()
    {
        var provider = ArnProvider();
        var first = await provider.GetCredentialAsync(CancellationToken.None);
        _sts.ErrorCode = "ServiceUnavailable";
        _sts.Status = 503;
        _now = _now.AddMinutes(56);
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None));
        var requests = _sts.Requests;
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None)); // no retry storm
        Assert.Equal(requests, _sts.Requests);
    }

    // ---- process_command ----

    [Theory]
    [InlineData("tool --a b", false, new[] { "tool", "--a", "b" })]
    [InlineData("\"/opt/my tools/cred\" 'x y' z\\ w", false, new[] { "/opt/my tools/cred", "x y", "z w" })]
    [InlineData("\"C:\\Program Files\\cred.exe\" --profile p", true, new[] { "C:\\Program Files\\cred.exe", "--profile", "p" })]
    [InlineData("C:\\tools\\cred.exe \"\" last", true, new[] { "C:\\tools\\cred.exe", "", "last" })]
    public void Process_command_is_split_like_the_official_libraries(string command, bool windows, string[] expected) =>
        Assert.Equal(expected, ProcessCommandLine.Split(command, windows));

    [Fact]
    public void Joined_arguments_survive_quotes_spaces_and_backslashes()
    {
        var args = new[] { "prog", "a b", "q\"uote", "back\\", "tail\\\\\"x", "" };
        Assert.Equal("\"a b\" \"q\\\"uote\" back\\ \"tail\\\\\\\\\\\"x\" \"\"", ProcessCommandLine.Join(args, 1));
    }
}
