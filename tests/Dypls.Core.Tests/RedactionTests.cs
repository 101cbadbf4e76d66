namespace Dypls.Core.Tests;

public class RedactionTests
{
    [Fact]
    public void RedactsSignatureTokenAndKeyIdButKeepsTheRest()
    {
        var url = "http://secret-axb-record-files.oss-cn-shanghai.aliyuncs.com/1000_6664.mp3?Expires=1551759607&OSSAccessKeyId=LTAI27GqAW1VrcQA&Signature=tK6Yq9KusU4n%2BZQWXI7lg4/WmEA%3D&security-token=CAIS123";
        var r = Redaction.RedactUrl(url);
        Assert.Equal("http://secret-axb-record-files.oss-cn-shanghai.aliyuncs.com/1000_6664.mp3?Expires=1551759607&OSSAccessKeyId=***&Signature=***&security-token=***", r);
    }

    [Fact]
    public void AccessKeyIdMask()
    {
        Assert.Equal("LTAI*********001", Dypls.Credentials.AccessKeyCredential.Mask("LTAItestkey00001"));
        Assert.Equal("****", Dypls.Credentials.AccessKeyCredential.Mask("abcd"));
    }
}
