using System.Text;
using Dypls.Text;

namespace Dypls.Core.Tests.Text;

/// <summary>The console's Chinese headers as Windows PowerShell 5.1's Import-Csv reads a UTF-8 file without a BOM.</summary>
public class Utf8MojibakeTests
{
    static Utf8MojibakeTests()
    {
#if NET
        // PowerShell 7 registers the legacy code pages at start-up; the .NET Framework has them built in.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
#endif
    }

    private static string ReadAs(int codePage, string text) => Encoding.GetEncoding(codePage).GetString(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("呼叫记录ID")]
    [InlineData("呼叫发起时间")]
    [InlineData("号码池Key")]
    public void Chinese_headers_read_in_a_legacy_code_page_are_recognised(string header)
    {
        Assert.True(Utf8Mojibake.IsLikely(ReadAs(1252, header)), ReadAs(1252, header));
        Assert.True(Utf8Mojibake.IsLikely(ReadAs(936, header)), ReadAs(936, header));
        Assert.False(Utf8Mojibake.IsLikely(header));
    }

    [Fact]
    public void The_literal_forms_admins_see()
    {
        // "å‘¼å\u008F«è®°å½•ID": 叫 is E5 8F AB, and 0x8F is one of the five bytes 1252 leaves undefined.
        const string cp1252 = "\u00E5\u2018\u00BC\u00E5\u008F\u00AB\u00E8\u00AE\u00B0\u00E5\u00BD\u2022ID";
        Assert.Equal(cp1252, ReadAs(1252, "呼叫记录ID"));
        Assert.True(Utf8Mojibake.IsLikely(cp1252));
        Assert.True(Utf8Mojibake.IsLikely("鍛煎彨璁板綍ID"));
    }

    [Theory]
    [InlineData("CallId")]
    [InlineData("call_id")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("Café")]          // real Latin-1 text: its bytes are not UTF-8
    [InlineData("Größe")]
    [InlineData("通话ID")]         // real Chinese
    [InlineData("€ 100")]
    public void Ordinary_names_are_not(string? name)
    {
        Assert.False(Utf8Mojibake.IsLikely(name));
    }

    [Fact]
    public void Any_of_a_rows_names()
    {
        Assert.True(Utf8Mojibake.AnyLikely(new[] { "extra", ReadAs(1252, "号码池Key") }));
        Assert.False(Utf8Mojibake.AnyLikely(["extra", "CallId"]));
        Assert.False(Utf8Mojibake.AnyLikely(null));
    }
}
