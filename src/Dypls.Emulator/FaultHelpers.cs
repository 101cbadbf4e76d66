using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>What the injected faults do to a connection: stall it, or drop it.</summary>
internal static class FaultHelpers
{
    /// <summary>
    /// Sends nothing more until the client gives up (RequestAborted), the server stops, or
    /// <see cref="EmulatorFaults.StallCap"/> passes; then drops the connection if it is still open.
    /// </summary>
    public static async Task StallAsync(HttpContext context, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await Task.Delay(EmulatorFaults.StallCap, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up or the server is stopping: exactly what a stall waits for.
        }
        if (!context.RequestAborted.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    /// <summary>
    /// Drops the connection after what was written so far: flush, give the client a moment to read it (a reset
    /// that arrives first makes the OS discard unread bytes), then abort.
    /// </summary>
    public static async Task FlushAndAbortAsync(HttpContext context)
    {
        try
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(150, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client left first; aborting below is then a no-op.
        }
        context.Abort();
    }
}
