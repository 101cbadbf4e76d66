using System.Globalization;
using Dypls.Api;
using Dypls.Core.Tests.TestServers;
using Dypls.Credentials;
using Dypls.Downloads;
using Dypls.Http;

namespace Dypls.Core.Tests.Api;

/// <summary>
/// The client and the save engine against the real emulator, run as its own process and reached over HTTP: on net472
/// this is the .NET Framework's signing, encoding and HTTP stack checked by the emulator's signature verification.
/// </summary>
public sealed class EmulatorOverHttpTests
{
    private sealed class Fixed : ICredentialProvider
    {
        private readonly AccessKeyCredential _c;
        public Fixed(AccessKeyCredential c) { _c = c; }
        public string Description => "test";
        public Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken) => Task.FromResult(_c);
    }

    private static string Now() => DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static DyplsApiClient Client(EmulatorProcess emu, AccessKeyCredential credential, int maxAttempts = 4) =>
        new(new Fixed(credential), new DyplsClientOptions
        {
            Endpoint = emu.BaseUri,
            MaxAttempts = maxAttempts,
            BaseRetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromSeconds(10),
        });

    [Fact]
    public async Task Requests_are_signed_and_encoded_the_way_the_emulator_verifies()
    {
        using var emu = await EmulatorProcess.StartAsync();
        var key = Client(emu, new AccessKeyCredential(EmulatorProcess.KeyId, EmulatorProcess.KeySecret, null, "test"));
        var sts = Client(emu, new AccessKeyCredential(EmulatorProcess.StsKeyId, EmulatorProcess.StsSecret, EmulatorProcess.StsToken, "test"));
        // Characters that percent-encoding gets wrong when it gets anything wrong: reserved, '*', '~', spaces, CJK, emoji.
        var ids = new[] { "plain-1", "a b+c*d~e", "x%y&z=w#v;u", "呼叫-记录", "emoji-\U0001F600", "slash/and?query" };
        foreach (var id in ids)
        {
            var r = await key.QueryRecordFileDownloadUrlAsync(id, Now(), "FC100000012345", CancellationToken.None);
            Assert.StartsWith(emu.BaseUri.AbsoluteUri, r.DownloadUrl);
            Assert.Equal(1, r.Attempts);
        }
        var s = await sts.QueryRecordFileDownloadUrlAsync("sts-1", Now(), "FC1", CancellationToken.None);
        Assert.Equal(1, s.Attempts);
        Assert.Equal(0, await emu.StatAsync("signatureFailures"));
        Assert.Equal(ids.Length + 1, await emu.StatAsync("apiSucceeded"));

        var wrong = Client(emu, new AccessKeyCredential(EmulatorProcess.KeyId, "not-the-secret-0000000000000", null, "test"));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => wrong.QueryRecordFileDownloadUrlAsync("c", Now(), "FC1", CancellationToken.None));
        Assert.Equal("AuthenticationFailed", ex.ErrorId);
        Assert.Equal(1, await emu.StatAsync("signatureFailures"));
    }

    [Fact]
    public async Task Recordings_saved_under_injected_faults_are_byte_exact()
    {
        using var emu = await EmulatorProcess.StartAsync("--fault-seed", "12", "--fault-api-5xx", "0.2",
            "--fault-download-5xx", "0.1", "--fault-download-truncate", "0.15", "--fault-download-corrupt", "0.05");
        var client = Client(emu, new AccessKeyCredential(EmulatorProcess.KeyId, EmulatorProcess.KeySecret, null, "test"), maxAttempts: 8);
        var dir = Path.Combine(Path.GetTempPath(), "dypls-emuhttp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var saver = new RecordingSaver(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), new SaveOptions
            {
                MaxAttempts = 8,
                BaseRetryDelay = TimeSpan.FromMilliseconds(10),
                MaxRetryDelay = TimeSpan.FromMilliseconds(100),
                IdleTimeout = TimeSpan.FromSeconds(10),
            });
            const int count = 60;
            var when = Now();
            using var gate = new SemaphoreSlim(8);
            var results = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var id = "fault-" + i.ToString(CultureInfo.InvariantCulture);
                await gate.WaitAsync();
                try
                {
                    return await saver.SaveAsync(new SaveJob(id, Path.Combine(dir, id), async t => FetchTarget.Check(await client.QueryRecordFileDownloadUrlAsync(id, when, "FC1", t), givenOnInput: false)), null, CancellationToken.None);
                }
                finally { gate.Release(); }
            }));

            for (var i = 0; i < count; i++)
            {
                var expected = await emu.ExpectedRecordingAsync("fault-" + i.ToString(CultureInfo.InvariantCulture));
                Assert.True(expected.SequenceEqual(File.ReadAllBytes(results[i].Path)), $"fault-{i} is not byte-exact ({results[i].Status}, {results[i].Attempts} attempts)");
            }
            // The faults really happened, and cut transfers were resumed rather than fetched again from byte 0.
            Assert.True(await emu.StatAsync("faultDownloadTruncate") > 0, "no truncation was injected");
            Assert.True(await emu.StatAsync("faultApi5xx") > 0, "no API 5xx was injected");
            Assert.Contains(results, r => r.Status == DownloadStatus.Resumed);
            Assert.True(await emu.StatAsync("rangeRequests") > 0);
            Assert.Empty(Directory.GetFiles(dir, ".*"));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
