using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Dypls.Downloads;
using Dypls.Http;

// This file also builds for net472: no span or Memory overloads.
#pragma warning disable CA1835

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// Copy buffers are pooled: each goes back once its transfer is over, but never while a read given up on a stall may
/// still write into it (on .NET Framework such a read returns only when data comes, into that buffer).
/// </summary>
public sealed class TransferBufferTests
{
    private static readonly byte[] Object = ScriptedObjectServer.Content(200_000, 11);

    /// <summary>Hands out new arrays and counts what comes back.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Rented;
        public int Returned;

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref Rented);
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false) => Interlocked.Increment(ref Returned);
    }

    private static async Task<Exception?> CopyAsync(ScriptedObjectServer server, CountingPool pool, TimeSpan idle)
    {
        var transfer = new RecordingTransfer(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), idle) { BufferPool = pool };
        using var response = await transfer.OpenAsync(new Uri(server.Url("call-1.mp3")), 0, null, CancellationToken.None);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sink = new MemoryStream();
        try
        {
            await response.CopyToAsync(sink, md5, null, CancellationToken.None);
            Assert.Equal(Object, sink.ToArray());
            return null;
        }
        catch (TransferFailedException ex)
        {
            return ex;
        }
    }

    [Fact]
    public async Task A_whole_body_gives_its_buffer_back_once()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ScriptedObjectServer.ETag(Object)));
        var pool = new CountingPool();
        Assert.Null(await CopyAsync(server, pool, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, pool.Rented);
        Assert.Equal(1, pool.Returned);
    }

    [Fact]
    public async Task A_stalled_body_keeps_its_buffer_out_of_the_pool()
    {
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            // The whole object announced, its first 1,000 bytes sent, then nothing until the test is over.
            ctx.Response.Headers["ETag"] = ScriptedObjectServer.ETag(Object);
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
            await stream.WriteAsync(Object, 0, 1000);
            await stream.FlushAsync();
            await release.Task;
        });
        var pool = new CountingPool();
        try
        {
            // The idle bound also covers the wait for the headers, which a loaded machine can stretch past half a second.
            var failure = await CopyAsync(server, pool, TimeSpan.FromSeconds(3));
            Assert.Equal("DownloadStalled", Assert.IsType<TransferFailedException>(failure).ErrorId);
            Assert.Equal(1, pool.Rented);
            Assert.Equal(0, pool.Returned);
        }
        finally
        {
            release.SetResult(true);
        }
    }
}
