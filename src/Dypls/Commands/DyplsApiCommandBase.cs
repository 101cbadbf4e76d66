using System;
using System.Management.Automation;
using System.Net;
using System.Runtime.InteropServices;
using System.Security;
using Dypls.Api;
using Dypls.Credentials;

namespace Dypls.Commands
{
    /// <summary>Parameters and set-up shared by every cmdlet that calls Dyplsapi: credentials, endpoint, timeouts.</summary>
    public abstract class DyplsApiCommandBase : PSCmdlet
    {
        /// <summary>User name = AccessKeyId, password = AccessKeySecret. Highest priority.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        [Validation.ValidateAccessKeyCredential]
        public PSCredential? Credential { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? AccessKeyId { get; set; }

        [Parameter]
        [ValidateNotNull]
        public SecureString? AccessKeySecret { get; set; }

        /// <summary>STS token that goes with temporary AccessKeys.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? SecurityToken { get; set; }

        /// <summary>A profile in ~/.aliyun/config.json or ~/.alibabacloud/credentials.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ProfileNameCompleter))]
        public string? ProfileName { get; set; }

        /// <summary>The API endpoint (Dyplsapi; Dybaseapi for the receipt cmdlets); https, or http on a loopback host (the emulator).</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? Endpoint { get; set; }

        /// <summary>Seconds allowed for one API attempt.</summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSec { get; set; } = 10;

        [Parameter]
        [ValidateRange(1, 120)]
        public int ConnectTimeoutSec { get; set; } = 5;

        /// <summary>Attempts per API call for transient failures (throttling, 5xx, network).</summary>
        [Parameter]
        [ValidateRange(1, 20)]
        public int MaxAttempts { get; set; } = 4;

        private protected DyplsApiClient CreateClient() => CreateClient(DyplsClientOptions.DefaultEndpoint, "Dyplsapi", "dypls:QueryRecordFileDownloadUrl");

        /// <summary>A client of <paramref name="product"/> at -Endpoint, or at <paramref name="defaultEndpoint"/> without it.</summary>
        private protected DyplsApiClient CreateClient(Uri defaultEndpoint, string product, string ramAction)
        {
            var provider = ResolveCredentials();
            WriteDebug($"Credentials: {provider.Description}.");
            var options = new DyplsClientOptions
            {
                Endpoint = Endpoint ?? defaultEndpoint,
                ProductName = product,
                RamAction = ramAction,
                RequestTimeout = TimeSpan.FromSeconds(TimeoutSec),
                ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec),
                MaxAttempts = MaxAttempts,
            };
            try
            {
                var client = new DyplsApiClient(provider, options);
                WriteDebug($"Endpoint: {client.Endpoint}.");
                return client;
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, Endpoint));
                throw; // not reached
            }
        }

        private ICredentialProvider ResolveCredentials()
        {
            if (Credential != null && (AccessKeyId != null || AccessKeySecret != null))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new PSArgumentException("Give either -Credential or -AccessKeyId/-AccessKeySecret, not both."),
                    "ConflictingCredentialParameters", ErrorCategory.InvalidArgument, null));
            }
            var options = new CredentialChainOptions { ProfileName = ProfileName };
            if (Credential != null)
            {
                options.AccessKeyId = Credential.UserName;
                options.AccessKeySecret = Credential.GetNetworkCredential().Password;
                options.ExplicitSourceName = "-Credential";
            }
            else if (AccessKeyId != null || AccessKeySecret != null)
            {
                options.AccessKeyId = AccessKeyId;
                options.AccessKeySecret = AccessKeySecret is null ? null : Plain(AccessKeySecret);
                options.ExplicitSourceName = "-AccessKeyId/-AccessKeySecret";
            }
            if (SecurityToken != null) options.SecurityToken = Plain(SecurityToken);

            try
            {
                return CredentialChain.Resolve(options);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.AuthenticationError, ProfileName));
                throw; // not reached
            }
        }

        private static string Plain(SecureString secure) => new NetworkCredential(string.Empty, secure).Password;

        /// <summary>The error record for a failure from the core: its ErrorId, and the category decided where it was made.</summary>
        private protected static ErrorRecord Record(Exception ex, object? target) =>
            ex is DyplsException d
                ? new ErrorRecord(ex, d.ErrorId, CategoryOf(d), target)
                : new ErrorRecord(ex, "UnexpectedError", ErrorCategory.NotSpecified, target);

        /// <summary>PowerShell's ErrorCategory of the same name (<see cref="FailureCategory"/> names only ErrorCategory members).</summary>
        internal static ErrorCategory CategoryOf(DyplsException ex) =>
            (ErrorCategory)Enum.Parse(typeof(ErrorCategory), ex.Category.ToString());
    }
}
