using System.Collections.Generic;
using Dypls.Receipts;

namespace Dypls.Core.Tests.Receipts;

public class MnsSignerTests
{
    [Fact]
    public void The_documented_vector_signs_as_the_doc_shows()
    {
        var sts = MnsSigner.StringToSign("GET", null, null, "Thu, 09 Jul 2015 03:01:34 GMT",
            [new KeyValuePair<string, string>("x-mns-version", "2015-06-06")], "/MyQueue");
        Assert.Equal("GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue", sts);
        Assert.Equal("uwx3yeWoILzgmvesW0BQSgfM7b8=", MnsSigner.Sign("TestAccessSecret", sts));
    }

    [Fact]
    public void Only_x_mns_headers_are_signed_lowercased_and_sorted_and_the_security_token_is_not()
    {
        var sts = MnsSigner.StringToSign("DELETE", "md5", "text/xml", "d",
        [
            new KeyValuePair<string, string>("X-MNS-Version", "2015-06-06"),
            new KeyValuePair<string, string>("security-token", "secret-token"),
            new KeyValuePair<string, string>("x-mns-date", "d"),
            new KeyValuePair<string, string>("Host", "h"),
        ], "/queues/q/messages?ReceiptHandle=a+b/c==");
        Assert.Equal("DELETE\nmd5\ntext/xml\nd\nx-mns-date:d\nx-mns-version:2015-06-06\n/queues/q/messages?ReceiptHandle=a+b/c==", sts);
        Assert.DoesNotContain("secret-token", sts, StringComparison.Ordinal);
    }
}
