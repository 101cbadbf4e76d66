using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

public class FileNameTests
{
    [Theory]
    [InlineData("1000000820257625", "1000000820257625")]
    [InlineData("a b", "a b")]
    [InlineData("中文呼叫", "中文呼叫")]
    [InlineData("x~y+z", "x~y+z")]
    public void SafeNamesStayAsTheyAre(string callId, string expected)
    {
        Assert.Equal(expected, FileNameSanitizer.Segment(callId));
    }

    [Theory]
    [InlineData("../../x")]
    [InlineData("..\\..\\x")]
    [InlineData("/etc/passwd")]
    [InlineData("a:b")]
    [InlineData("CON")]
    [InlineData("con.txt")]
    [InlineData("COM1")]
    [InlineData("LPT9.mp3")]
    [InlineData("CONIN$")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("trailing. ")]
    [InlineData("nul\0byte")]
    [InlineData("line\r\nbreak")]
    [InlineData("x*y?z<>|\"")]
    [InlineData("name.dypls-partial")]
    public void UnsafeNamesBecomeSafeAndDistinct(string callId)
    {
        var s = FileNameSanitizer.Segment(callId);
        Assert.DoesNotContain(s, c => c < 0x20 || "<>:\"/\\|?*".Contains(c));
        Assert.NotEqual(".", s);
        Assert.NotEqual("..", s);
#pragma warning disable CA1865 // string.EndsWith(char) is .NET Core only; this file also builds for net472
        Assert.False(s.EndsWith(".", StringComparison.Ordinal) || s.EndsWith(" ", StringComparison.Ordinal));
#pragma warning restore CA1865
        var stem = s.Split('.')[0];
        Assert.DoesNotContain(stem.ToUpperInvariant(), (string[])["CON", "PRN", "AUX", "NUL", "COM1", "LPT9", "CONIN$"]);
        Assert.False(s.EndsWith(".dypls-partial", StringComparison.OrdinalIgnoreCase));
        // Changed names carry a hash of the original, so "a:b" and "a_b" never share a file.
        Assert.Matches("~[0-9a-f]{8}$", s);
        var root = Path.Combine(Path.GetTempPath(), "dest");
        var full = Path.GetFullPath(Path.Combine(root, s));
        Assert.Equal(root, Path.GetDirectoryName(full));
    }

    [Fact]
    public void CollidingSanitizedNamesStayApart()
    {
        Assert.NotEqual(FileNameSanitizer.Segment("a:b"), FileNameSanitizer.Segment("a_b"));
        Assert.NotEqual(FileNameSanitizer.Segment("a:b"), FileNameSanitizer.Segment("a*b"));
    }

    [Fact]
    public void LongNamesAreShortenedWithAHash()
    {
        var s = FileNameSanitizer.Segment(new string('呼', 200));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(s) <= FileNameSanitizer.MaxSegmentBytes);
        Assert.Matches("~[0-9a-f]{8}$", s);
    }

    [Fact]
    public void TemplateMakesFolders()
    {
        var t = new FileNameTemplate("{PoolKey}/{CallDate}/{CallId}_{CallTime}");
        var sep = Path.DirectorySeparatorChar;
        Assert.Equal($"FC1{sep}2026-11-24{sep}c1_20261124-091502", t.Render("c1", "2026-11-24 09:15:02", "FC1"));
        Assert.Equal("c1", new FileNameTemplate(null).Render("c1", "2026-11-24 09:15:02", "FC1"));
    }

    [Fact]
    public void TemplateSegmentsFromValuesCannotAddFolders()
    {
        var t = new FileNameTemplate("{PoolKey}/{CallId}");
        var rendered = t.Render("../../x", "2026-11-24 09:15:02", "../..");
        Assert.Equal(2, rendered.Split(Path.DirectorySeparatorChar).Length);
        Assert.DoesNotContain("..", rendered.Split(Path.DirectorySeparatorChar));
    }

    [Theory]
    [InlineData("{PoolKey}")]
    [InlineData("{CallId}{Nope}")]
    [InlineData("/")]
    public void BadTemplates(string template)
    {
        Assert.Equal("InvalidFileNameTemplate", Assert.Throws<DyplsException>(() => new FileNameTemplate(template)).ErrorId);
    }

    [Theory]
    [InlineData("http://secret-axb-record-files.oss-cn-shanghai.aliyuncs.com/1_2.mp3?Expires=1&OSSAccessKeyId=a&Signature=b", "https://secret-axb-record-files.oss-cn-shanghai.aliyuncs.com/1_2.mp3?Expires=1&OSSAccessKeyId=a&Signature=b")]
    [InlineData("http://bucket.OSS-CN-HANGZHOU.ALIYUNCS.COM:80/x.mp3?a=1", "https://bucket.oss-cn-hangzhou.aliyuncs.com/x.mp3?a=1")]
    [InlineData("https://bucket.oss-cn-hangzhou.aliyuncs.com/x.mp3", "https://bucket.oss-cn-hangzhou.aliyuncs.com/x.mp3")]
    [InlineData("http://127.0.0.1:5000/b/x.mp3?Signature=%2B", "http://127.0.0.1:5000/b/x.mp3?Signature=%2B")]
    public void AlibabaCloudHostsAreFetchedOverHttps(string url, string expected)
    {
        Assert.Equal(expected, DownloadUrlPolicy.FetchUri(url, givenOnInput: true).AbsoluteUri);
    }

    [Fact]
    public void SignatureEscapesSurviveTheUpgrade()
    {
        var u = DownloadUrlPolicy.FetchUri("http://b.oss-cn-shanghai.aliyuncs.com/o.mp3?Signature=tK6Yq9KusU4n%2BZQWXI7lg4/WmEA%3D", givenOnInput: true);
        Assert.EndsWith("Signature=tK6Yq9KusU4n%2BZQWXI7lg4/WmEA%3D", u.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://h/b/o.mp3?x=1", ".mp3")]
    [InlineData("http://h/b/o.WAV", ".wav")]
    [InlineData("http://h/b/o", null)]
    [InlineData("http://h/b/o.toolongext", null)]
    [InlineData("http://h/b/o.ps1", null)]
    [InlineData("http://h/b/o.exe?x=.mp3", null)]
    [InlineData("http://h/b/o.mp3.bat", null)]
    public void KnownExtensionFromUrl(string url, string? ext)
    {
        Assert.Equal(ext, DownloadUrlPolicy.KnownExtensionFromUrl(url));
    }

    [Theory]
    [InlineData("http://h/b/o.ps1", "audio/mpeg", ".mp3")]
    [InlineData("http://h/b/o.exe", "application/x-msdownload", ".bin")]
    [InlineData("http://h/b/o.bat", null, ".bin")]
    [InlineData("http://h/b/o", "audio/wav", ".wav")]
    [InlineData("http://h/b/o.amr", "application/octet-stream", ".amr")]
    public void SavedExtensionIsAlwaysARecordingType(string url, string? mediaType, string expected)
    {
        Assert.Equal(expected, DownloadUrlPolicy.ExtensionFor(url, mediaType));
    }

    [Theory]
    [InlineData("http://recordings.example.com/x.mp3?Signature=a")]
    [InlineData("http://10.0.0.5/x.mp3")]
    [InlineData("http://aliyuncs.com.evil.example/x.mp3")]
    public void PlainHttpOnAForeignHostFromInputIsRefused(string url)
    {
        var ex = Assert.Throws<DyplsException>(() => DownloadUrlPolicy.FetchUri(url, givenOnInput: true));
        Assert.Equal("InsecureDownloadUrl", ex.ErrorId);
        Assert.DoesNotContain("Signature=a", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/b/x.mp3")]
    [InlineData("http://localhost:5000/b/x.mp3")]
    [InlineData("http://[::1]:5000/b/x.mp3")]
    public void PlainHttpOnLoopbackIsUsedAsGiven(string url)
    {
        Assert.Equal("http", DownloadUrlPolicy.FetchUri(url, givenOnInput: true).Scheme);
    }
}
