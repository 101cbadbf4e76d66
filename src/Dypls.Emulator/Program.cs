using System.Runtime.InteropServices;
using Dypls.Emulator;

var options = CommandLine.Parse(args, out var showHelp, out var error);
if (showHelp)
{
    Console.WriteLine(CommandLine.Help);
    return 0;
}
if (options is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}

EmulatorServer server;
try
{
    server = await EmulatorServer.StartAsync(options);
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine("The emulator could not start: " + e.Message);
    return 1;
}

// Scripts wait for exactly this first line (tests/Pester/TestHelpers.psm1).
Console.WriteLine("Listening on " + server.BaseUri);
if (server.HttpsBaseUri is not null)
{
    Console.WriteLine("HTTPS on " + server.HttpsBaseUri + " (certificate " + server.CertificateFile + ")");
}
Console.WriteLine(EmulatorSummary.Describe(options));

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
{
    await stop.Task;
}
await server.DisposeAsync();
return 0;
