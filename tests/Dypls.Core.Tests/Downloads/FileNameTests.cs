using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

public class FileNameTests
{
    private static readonly DateTimeOffset CallAt = new(2026, 11, 24, 9, 15, 2, TimeSpan.FromHours(8));

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
        Assert.Equal($"FC1{sep}2026-11-24{sep}c1_20261124-091502", t.Render("c1", CallAt, "FC1"));
        Assert.Equal("c1", new FileNameTemplate(null).Render("c1", CallAt, "FC1"));
    }

    [Fact]
    public void TemplateSegmentsFromValuesCannotAddFolders()
    {
        var t = new FileNameTemplate("{PoolKey}/{CallId}");
        var rendered = t.Render("../../x", CallAt, "../..");
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

    public static TheoryData<string> ReservedDeviceNames() =>
    [
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00B9", "COM\u00B2", "COM\u00B3",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3",
    ];

    [Theory]
    [MemberData(nameof(ReservedDeviceNames))]
    public void Every_reserved_device_name_is_prefixed_whatever_its_case_or_extension(string name)
    {
        foreach (var raw in new[] { name, name.ToLowerInvariant(), name + ".mp3", name + " .wav" })
        {
            var s = FileNameSanitizer.Segment(raw);
            Assert.StartsWith("_" + raw + "~", s, StringComparison.Ordinal);
            Assert.Matches("^_.*~[0-9a-f]{8}$", s);
        }
    }

    [Theory]
    [InlineData("CONX")]
    [InlineData("COM")]
    [InlineData("LPT10")]
    [InlineData("xCON")]
    [InlineData(".hidden")]
    [InlineData("a.CON")]
    public void Names_that_only_look_like_device_names_stay_as_they_are(string name)
    {
        Assert.Equal(name, FileNameSanitizer.Segment(name));
    }

    [Fact]
    public void The_hash_is_the_first_four_bytes_of_the_sha256_of_the_original()
    {
        Assert.Equal("a_b~6783a31e", FileNameSanitizer.Segment("a:b"));
        Assert.Equal("_CON~a3dbc4b6", FileNameSanitizer.Segment("CON"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData(" ")]
    [InlineData(". .")]
    public void Names_of_nothing_but_dots_and_spaces_become_an_underscore(string name)
    {
        Assert.Matches("^_~[0-9a-f]{8}$", FileNameSanitizer.Segment(name));
    }

    [Fact]
    public void Leading_spaces_and_trailing_dots_are_dropped()
    {
        Assert.StartsWith("a b~", FileNameSanitizer.Segment("  a b. .."), StringComparison.Ordinal);
        Assert.StartsWith("_x~", FileNameSanitizer.Segment("\u007Fx"), StringComparison.Ordinal);
        Assert.StartsWith("_x~", FileNameSanitizer.Segment("\u001Fx"), StringComparison.Ordinal);
        Assert.Equal("x\u0080", FileNameSanitizer.Segment("x\u0080"));
    }

    [Fact]
    public void A_name_ending_like_a_working_file_gets_an_underscore()
    {
        Assert.StartsWith("n.DYPLS-PARTIAL_~", FileNameSanitizer.Segment("n.DYPLS-PARTIAL"), StringComparison.Ordinal);
        Assert.Equal("n.dypls-partial.mp3", FileNameSanitizer.Segment("n.dypls-partial.mp3"));
    }

    [Fact]
    public void Paired_surrogates_stay_and_lone_ones_become_underscores()
    {
        Assert.Equal("a\U0001F600b", FileNameSanitizer.Segment("a\U0001F600b"));
        Assert.Equal("\U0001F600", FileNameSanitizer.Segment("\U0001F600"));
        Assert.StartsWith("_x~", FileNameSanitizer.Segment("\uD83Dx"), StringComparison.Ordinal);
        Assert.StartsWith("x_~", FileNameSanitizer.Segment("x\uD83D"), StringComparison.Ordinal);
        Assert.StartsWith("_x~", FileNameSanitizer.Segment("\uDE00x"), StringComparison.Ordinal);
        Assert.StartsWith("x_~", FileNameSanitizer.Segment("x\uDE00"), StringComparison.Ordinal);
        // Low before high: both are lone.
        Assert.StartsWith("x__~", FileNameSanitizer.Segment("x\uDE00\uD83D"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_of_exactly_the_byte_limit_stays_as_it_is()
    {
        var name = new string('a', FileNameSanitizer.MaxSegmentBytes);
        Assert.Equal(name, FileNameSanitizer.Segment(name));
    }

    [Fact]
    public void A_longer_name_keeps_its_first_170_bytes_and_the_hash()
    {
        var s = FileNameSanitizer.Segment(new string('a', 200));
        Assert.Equal(new string('a', FileNameSanitizer.MaxSegmentBytes - 10) + "~c2a908d9", s);
    }

    [Fact]
    public void A_long_name_is_never_cut_inside_a_surrogate_pair()
    {
        // 167 bytes, then a 4-byte emoji across the 170-byte cut: the whole emoji goes.
        var s = FileNameSanitizer.Segment(new string('a', 167) + "\U0001F600" + new string('b', 20));
        Assert.Equal(new string('a', 167) + "~0d2fad8f", s);
        // Two bytes earlier, the emoji fits whole.
        var t = FileNameSanitizer.Segment(new string('a', 166) + "\U0001F600" + new string('b', 20));
        Assert.StartsWith(new string('a', 166) + "\U0001F600~", t, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{CallId}", "c1")]
    [InlineData("{callid}", "c1")]
    [InlineData("{PoolKey}-{CallId}", "FC1-c1")]
    [InlineData("{CallTime}_{CallId}", "20261124-091502_c1")]
    [InlineData("{CallDate}_{CallId}", "2026-11-24_c1")]
    [InlineData("{CallMonth}_{CallId}", "2026-11_c1")]
    [InlineData("{CALLMONTH}_{CallId}", "2026-11_c1")]
    [InlineData("  rec-{CallId}  ", "rec-c1")]
    [InlineData("//{CallId}//", "c1")]
    public void Every_token_renders_its_value(string template, string expected)
    {
        Assert.Equal(expected, new FileNameTemplate(template).Render("c1", CallAt, "FC1"));
    }

    [Fact]
    public void The_template_is_kept_trimmed_and_defaults_to_the_callid()
    {
        Assert.Equal("{CallId}", new FileNameTemplate("   ").Template);
        Assert.Equal("{CallId}", new FileNameTemplate(null).Template);
        Assert.Equal("x/{CallId}", new FileNameTemplate(" x/{CallId} ").Template);
    }

    [Fact]
    public void A_template_error_names_the_template_and_the_fix()
    {
        var unknown = Assert.Throws<DyplsException>(() => new FileNameTemplate("{CallId}_{Nope}"));
        Assert.Contains("'{CallId}_{Nope}'", unknown.Message);
        Assert.Contains("unknown token {Nope}", unknown.Message);
        Assert.Contains("{CallMonth}", unknown.Message);
        var noCallId = Assert.Throws<DyplsException>(() => new FileNameTemplate("{PoolKey}/{CallDate}"));
        Assert.Equal("InvalidFileNameTemplate", noCallId.ErrorId);
        Assert.Contains("'{PoolKey}/{CallDate}' must contain {CallId}", noCallId.Message);
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
