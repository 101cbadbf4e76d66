using Dypls.Credentials;
using Xunit;

namespace Dypls.Core.Tests.Credentials;

/// <summary>A throw-away home folder and a fake environment, so tests never read the real ones.</summary>
internal sealed class CredentialTestHome : IDisposable
{
    // Every secret-looking value the tests write; no message or Description may contain any of them.
    public static readonly string[] Secrets =
    {
        "cliSecretAAAAAAAAAAAAAAAAAAAAA", "cliStsSecretBBBBBBBBBBBBBBBBBBB", "cliStsTokenCCCCCCCCCCCCCCCCCCCC",
        "iniSecretDDDDDDDDDDDDDDDDDDDDD", "envSecretEEEEEEEEEEEEEEEEEEEEE", "envTokenFFFFFFFFFFFFFFFFFFFFFF",
        "explicitSecretGGGGGGGGGGGGGGGG", "explicitTokenHHHHHHHHHHHHHHHHHH", "ecsSecretIIIIIIIIIIIIIIIIIIIII",
        "ecsTokenJJJJJJJJJJJJJJJJJJJJJJJ", "imdsTokenKKKKKKKKKKKKKKKKKKKKKK",
    };

    public const string CliId = "LTAIcliAAAAAAAAAAA001";
    public const string CliSecret = "cliSecretAAAAAAAAAAAAAAAAAAAAA";
    public const string CliStsId = "STS.cliBBBBBBBBBBBB002";
    public const string CliStsSecret = "cliStsSecretBBBBBBBBBBBBBBBBBBB";
    public const string CliStsToken = "cliStsTokenCCCCCCCCCCCCCCCCCCCC";
    public const string IniId = "LTAIiniDDDDDDDDDDDD003";
    public const string IniSecret = "iniSecretDDDDDDDDDDDDDDDDDDDDD";
    public const string EnvId = "LTAIenvEEEEEEEEEEEE004";
    public const string EnvSecret = "envSecretEEEEEEEEEEEEEEEEEEEEE";
    public const string EnvToken = "envTokenFFFFFFFFFFFFFFFFFFFFFF";
    public const string ExplicitId = "LTAIexpGGGGGGGGGGGG005";
    public const string ExplicitSecret = "explicitSecretGGGGGGGGGGGGGGGG";
    public const string ExplicitToken = "explicitTokenHHHHHHHHHHHHHHHHHH";

    public CredentialTestHome()
    {
        Home = Path.Combine(Path.GetTempPath(), "dypls-cred-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Home);
    }

    public string Home { get; }
    public Dictionary<string, string?> Env { get; } = new(StringComparer.Ordinal);
    public string CliPath => Path.Combine(Home, ".aliyun", "config.json");
    public string IniPath => Path.Combine(Home, ".alibabacloud", "credentials");

    /// <summary>A CLI file with profiles default (AK), sts (StsToken), ecs (EcsRamRole), arn (RamRoleArn).</summary>
    public CredentialTestHome WithCliFile(string current = "default") => WithCliText($$"""
        {
          "current": "{{current}}",
          "profiles": [
            {"name": "default", "mode": "AK", "access_key_id": "{{CliId}}", "access_key_secret": "{{CliSecret}}", "region_id": "cn-hangzhou", "retry_count": 3},
            {"name": "sts", "mode": "StsToken", "access_key_id": "{{CliStsId}}", "access_key_secret": "{{CliStsSecret}}", "sts_token": "{{CliStsToken}}"},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "cli-role"},
            {"name": "arn", "mode": "RamRoleArn", "access_key_id": "{{CliId}}", "access_key_secret": "{{CliSecret}}", "ram_role_arn": "acs:ram::1:role/x"}
          ]
        }
        """);

    public CredentialTestHome WithCliText(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CliPath)!);
        File.WriteAllText(CliPath, text);
        return this;
    }

    /// <summary>An INI file with [default] (access_key), [ini-only] (access_key), [ini-ecs] (ecs_ram_role), [arn] (ram_role_arn); CRLF, comments, odd spacing.</summary>
    public CredentialTestHome WithIniFile(string? path = null) => WithIniText(
        "; Alibaba Cloud credentials\r\n" +
        "# another comment\r\n" +
        "[default]\r\n" +
        "  type = access_key   ; long-lived\r\n" +
        $"access_key_id={IniId}\r\n" +
        $"\taccess_key_secret =\t{IniSecret}  \r\n" +
        "region_id = cn-shanghai\r\n" +
        "\r\n" +
        "[ ini-only ]\r\n" +
        "type = access_key\r\n" +
        $"access_key_id = {IniId}\r\n" +
        $"access_key_secret = {IniSecret}\r\n" +
        "[ini-ecs]\r\n" +
        "type = ecs_ram_role\r\n" +
        "role_name = ini-role\r\n" +
        "[arn]\r\n" +
        "type = ram_role_arn\r\n" +
        "role_arn = acs:ram::1:role/x\r\n", path);

    public CredentialTestHome WithIniText(string text, string? path = null)
    {
        path ??= IniPath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public CredentialTestHome WithEnvKeys(bool token = false)
    {
        Env[CredentialEnvironmentVariables.AccessKeyId] = EnvId;
        Env[CredentialEnvironmentVariables.AccessKeySecret] = EnvSecret;
        if (token) Env[CredentialEnvironmentVariables.SecurityToken] = EnvToken;
        return this;
    }

    public CredentialChainOptions Options(Action<CredentialChainOptions>? configure = null)
    {
        var options = new CredentialChainOptions
        {
            HomeDirectory = Home,
            GetEnvironmentVariable = name => Env.TryGetValue(name, out var v) ? v : null,
            // Unroutable on purpose: a test that reaches the network by mistake fails fast instead of hitting 100.100.100.200.
            EcsMetadataEndpoint = new Uri("http://127.0.0.1:9/"),
            MetadataTimeout = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>No secret in the text (exception messages incl. inner ones, descriptions).</summary>
    public static void AssertNoSecrets(string? text)
    {
        if (text is null) return;
        foreach (var s in Secrets) Assert.DoesNotContain(s, text);
    }

    public static void AssertNoSecrets(Exception ex)
    {
        for (Exception? e = ex; e != null; e = e.InnerException) AssertNoSecrets(e.Message);
        AssertNoSecrets(ex.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
