using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// The CLI's External mode: run process_command and read the JSON it prints (mode, access_key_id,
    /// access_key_secret, sts_token, expiration). Its output and error output are secrets: they never reach a
    /// stream, a log or an error message; errors name the command's program and exit code only.
    /// </summary>
    internal sealed class ExternalProcessCredentialProvider : RefreshingCredentialProvider
    {
        private readonly string[] _argv;
        private readonly string _origin;

        public ExternalProcessCredentialProvider(string processCommand, string origin, Func<DateTimeOffset>? clock = null)
            : base(clock)
        {
            _argv = ProcessCommandLine.Split(processCommand, RuntimeInformation.IsOSPlatform(OSPlatform.Windows));
            if (_argv.Length == 0)
                throw new CredentialException(CredentialErrorIds.IncompleteProfile, $"The {origin} has an empty process_command.");
            _origin = origin;
            // Only the program: arguments may hold a secret of their own.
            Description = $"{origin}: external command {_argv[0]}";
        }

        public override string Description { get; }

        /// <summary>How long the command may run (the official libraries allow 60 s).</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

        protected override async Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken)
        {
            var psi = new ProcessStartInfo(_argv[0], ProcessCommandLine.Join(_argv, 1))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                CreateNoWindow = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.Exited += (_, _) => exited.TrySetResult(true);
            try
            {
                if (!process.Start()) throw Failed("it could not be started");
            }
            catch (Exception ex) when (ex is Win32Exception || ex is InvalidOperationException || ex is System.IO.IOException)
            {
                throw Failed($"it could not be started ({ex.GetType().Name}: is '{_argv[0]}' installed and on PATH?)");
            }
            try { process.StandardInput.Close(); } catch (System.IO.IOException) { }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync(); // drained so the command never blocks; never shown

            using (cancellationToken.Register(() => Kill(process)))
            {
                var finished = await Task.WhenAny(exited.Task, Task.Delay(Timeout, cancellationToken)).ConfigureAwait(false);
                if (finished != exited.Task)
                {
                    Kill(process);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw Failed($"it did not finish within {Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s and was stopped");
                }
            }
            string output;
            try
            {
                output = await stdout.ConfigureAwait(false);
                await stderr.ConfigureAwait(false);
                process.WaitForExit();
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is InvalidOperationException)
            {
                throw Failed("its output could not be read");
            }
            if (process.ExitCode != 0)
                throw Failed($"it exited with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)} (its output is not shown: it may hold secrets; run it yourself to see why)");
            return Parse(output);
        }

        private AccessKeyCredential Parse(string output)
        {
            try
            {
                using var doc = JsonDocument.Parse(output);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw Failed("its output is not a JSON object");
                var id = JsonFields.Text(root, "access_key_id");
                var secret = JsonFields.Text(root, "access_key_secret");
                if (string.IsNullOrWhiteSpace(id) || string.IsNullOrEmpty(secret))
                    throw Failed("its output has no access_key_id or access_key_secret");
                var mode = JsonFields.Text(root, "mode");
                var token = JsonFields.Text(root, "sts_token");
                if (string.Equals(mode, "StsToken", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(token))
                    throw Failed("its output says mode StsToken but has no sts_token");
                if (string.Equals(mode, "AK", StringComparison.OrdinalIgnoreCase)) token = null;
                return new AccessKeyCredential(id!, secret!, token, $"{_origin}, external command", Expiration(root));
            }
            catch (JsonException)
            {
                throw Failed("its output is not valid JSON (it is not shown: it may hold secrets)");
            }
        }

        private DateTimeOffset? Expiration(JsonElement root)
        {
            if (!root.TryGetProperty("expiration", out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0)
                return n > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(n) : DateTimeOffset.FromUnixTimeSeconds(n);
            if (v.ValueKind == JsonValueKind.String)
            {
                var s = v.GetString();
                if (string.IsNullOrWhiteSpace(s)) return null;
                if (StsClient.TryParseExpiration(s!, out var e)) return e;
            }
            throw Failed("its output's expiration is not a date (ISO 8601, or Unix seconds)");
        }

        private static void Kill(Process process)
        {
            try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { } catch (Win32Exception) { }
        }

        private CredentialException Failed(string why) =>
            new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                $"The external command '{_argv[0]}' of the {_origin} gave no credential: {why}.");
    }
}
