using Dypls.Credentials;
using Xunit;

namespace Dypls.Core.Tests.Credentials;

/// <summary>The answer both credential services give (ECS metadata, credentials URI), read by one parser.</summary>
public sealed class CredentialServiceAnswerTests
{
    private const string Secret = "serviceSecretMMMMMMMMMMMMMMMMMM";
    private const string Token = "serviceTokenNNNNNNNNNNNNNNNNNNN";

    private static CredentialException Failed(string why) => new(CredentialErrorIds.CredentialSourceFailed, "service: " + why + ".");

    private static string Body(string code = "Success", string? expiration = "\"2026-11-25T09:00:00Z\"") =>
        $$"""{"Code":{{System.Text.Json.JsonSerializer.Serialize(code)}},"AccessKeyId":"STS.k","AccessKeySecret":"{{Secret}}","SecurityToken":"{{Token}}"{{(expiration == null ? "" : ",\"Expiration\":" + expiration)}}}""";

    private static CredentialException Fails(string body, bool expirationRequired = true)
    {
        var ex = Assert.Throws<CredentialException>(() => CredentialServiceAnswer.Parse(body, "test", expirationRequired, Failed));
        Assert.Equal(CredentialErrorIds.CredentialSourceFailed, ex.ErrorId);
        Assert.DoesNotContain(Secret, ex.Message);
        Assert.DoesNotContain(Token, ex.Message);
        return ex;
    }

    [Fact]
    public void Reads_keys_token_source_and_expiration()
    {
        var c = CredentialServiceAnswer.Parse(Body(), "ECS instance RAM role 'r'", expirationRequired: true, Failed);
        Assert.Equal("STS.k", c.AccessKeyId);
        Assert.Equal(Secret, c.AccessKeySecret);
        Assert.Equal(Token, c.SecurityToken);
        Assert.Equal("ECS instance RAM role 'r'", c.Source);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero), c.Expiration);
    }

    [Theory]
    [InlineData("\" 2026-11-25T09:00:00Z \"")]
    [InlineData("\"2026-11-25T09:00:00.000Z\"")]
    [InlineData("\"2026-11-25T17:00:00+08:00\"")]
    public void Expiration_is_read_as_STS_writes_it(string expiration)
    {
        var c = CredentialServiceAnswer.Parse(Body(expiration: expiration), "test", expirationRequired: true, Failed);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero), c.Expiration);
    }

    [Fact]
    public void Expiration_may_be_missing_only_where_allowed()
    {
        Assert.Null(CredentialServiceAnswer.Parse(Body(expiration: null), "test", expirationRequired: false, Failed).Expiration);
        Assert.Contains("the answer has no Expiration", Fails(Body(expiration: null)).Message);
        Assert.Contains("Expiration is not a date", Fails(Body(expiration: "\"soon\""), expirationRequired: false).Message);
    }

    [Fact]
    public void Code_is_quoted_escaped_and_cut()
    {
        var ex = Fails(Body(code: "Denied\n" + new string('x', 100)));
        Assert.Contains("Code is 'Denied\\n", ex.Message);
        Assert.Contains("...', not 'Success'", ex.Message);
        Assert.DoesNotContain(new string('x', 60), ex.Message);
        Assert.Contains("Code is '(none)'", Fails("{}").Message);
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeySecret\":\"" + Secret + "\",", "not valid JSON")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeySecret\":\"" + Secret + "\",\"SecurityToken\":\"" + Token + "\"}", "no AccessKeyId")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeyId\":\"k\",\"SecurityToken\":\"" + Token + "\"}", "no AccessKeySecret")]
    [InlineData("{\"Code\":\"success\",\"AccessKeyId\":\"k\",\"AccessKeySecret\":\"" + Secret + "\",\"SecurityToken\":7}", "no SecurityToken")]
    public void Unusable_answers_say_why_without_their_content(string body, string expected) =>
        Assert.Contains(expected, Fails(body).Message);
}
