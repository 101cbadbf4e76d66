using Dypls.Credentials;
using Xunit;
using Env = Dypls.Credentials.CredentialEnvironmentVariables;

namespace Dypls.Core.Tests.Credentials;

/// <summary>CredentialChain.ListProfileNames, which feeds -ProfileName tab completion.</summary>
public sealed class ProfileNamesTests : IDisposable
{
    private readonly CredentialTestHome _t = new();

    public void Dispose() => _t.Dispose();

    [Fact]
    public void Lists_cli_profiles_then_ini_sections_once_each_and_no_secrets()
    {
        _t.WithCliFile().WithIniFile();
        var names = CredentialChain.ListProfileNames(_t.Options());
        Assert.Equal<string>(["default", "sts", "ecs", "arn", "ini-only", "ini-ecs"], names);
        foreach (var secret in CredentialTestHome.Secrets) Assert.DoesNotContain(names, n => n.Contains(secret));
    }

    [Fact]
    public void No_files_give_no_names()
    {
        Assert.Empty(CredentialChain.ListProfileNames(_t.Options()));
    }

    [Fact]
    public void A_malformed_file_contributes_nothing_and_never_throws()
    {
        _t.WithCliText("{ \"profiles\": [ {\"name\": ").WithIniFile();
        Assert.Equal<string>(["default", "ini-only", "ini-ecs", "arn"], CredentialChain.ListProfileNames(_t.Options()));
    }

    [Fact]
    public void Follows_the_credentials_file_variable()
    {
        var other = Path.Combine(_t.Home, "elsewhere.ini");
        File.WriteAllText(other, "[moved]\ntype = access_key\naccess_key_id = x\naccess_key_secret = y\n");
        _t.Env[Env.CredentialsFile] = other;
        Assert.Equal<string>(["moved"], CredentialChain.ListProfileNames(_t.Options()));
    }
}
