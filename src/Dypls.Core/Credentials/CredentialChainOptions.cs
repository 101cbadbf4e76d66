using System;
using System.Net.Http;

namespace Dypls.Credentials
{
    /// <summary>
    /// Everything the credential chain may consult. Tests replace the environment, home folder, metadata
    /// endpoint, HTTP handler and clock so they never touch the real machine or 100.100.100.200.
    /// </summary>
    internal sealed class CredentialChainOptions
    {
        public static readonly Uri DefaultEcsMetadataEndpoint = new Uri("http://100.100.100.200/");

        private string? _homeDirectory;

        /// <summary>Explicit AccessKeyId (from -AccessKeyId or a PSCredential's user name).</summary>
        public string? AccessKeyId { get; set; }

        /// <summary>Explicit AccessKeySecret (from -AccessKeySecret or a PSCredential's password).</summary>
        public string? AccessKeySecret { get; set; }

        /// <summary>Explicit STS token; only valid together with AccessKeyId and AccessKeySecret.</summary>
        public string? SecurityToken { get; set; }

        /// <summary>How the explicit credential was given, shown in Description, e.g. "-Credential".</summary>
        public string ExplicitSourceName { get; set; } = "-AccessKeyId/-AccessKeySecret";

        /// <summary>Profile to use (-ProfileName); must exist in a profile file, never falls back.</summary>
        public string? ProfileName { get; set; }

        public Func<string, string?> GetEnvironmentVariable { get; set; } = Environment.GetEnvironmentVariable;

        /// <summary>Folder holding .aliyun/ and .alibabacloud/; defaults to the user profile folder.</summary>
        public string HomeDirectory
        {
            get => _homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            set => _homeDirectory = value;
        }

        /// <summary>ECS metadata service; null means DYPLS_ECS_METADATA_ENDPOINT if set, else <see cref="DefaultEcsMetadataEndpoint"/>.</summary>
        public Uri? EcsMetadataEndpoint { get; set; }

        /// <summary>Client for metadata calls; takes precedence over <see cref="MetadataHttpMessageHandler"/>.</summary>
        public HttpClient? MetadataHttpClient { get; set; }

        /// <summary>Handler for metadata calls (not disposed by Dypls); null means a shared proxy-less handler.</summary>
        public HttpMessageHandler? MetadataHttpMessageHandler { get; set; }

        /// <summary>Client for STS and credentials-URI calls (tests); null means the shared client. A custom one turns off provider sharing.</summary>
        public HttpClient? StsHttpClient { get; set; }

        /// <summary>Limit for each metadata request (token, credential).</summary>
        public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Current time, for expiry decisions; tests move it forward.</summary>
        public Func<DateTimeOffset> Clock { get; set; } = SystemClock;

        /// <summary>The default <see cref="Clock"/>; with it (and no custom HTTP client) ECS providers are shared process-wide.</summary>
        public static readonly Func<DateTimeOffset> SystemClock = () => DateTimeOffset.UtcNow;
    }
}
