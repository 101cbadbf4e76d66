using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;

namespace Dypls.Credentials
{
    /// <summary>
    /// Picks the credential source the way Alibaba Cloud's own tools do, highest priority first:
    /// explicit parameters; -ProfileName; ALIBABA_CLOUD_ACCESS_KEY_* (or ALIBABA_CLOUD_PROFILE);
    /// the CLI's current profile and the INI [default]; the ECS RAM role when ALIBABA_CLOUD_ECS_METADATA names it.
    /// The decision is synchronous and reads only files and variables; network calls happen later, in
    /// the returned provider's GetCredentialAsync.
    /// </summary>
    public static class CredentialChain
    {
        /// <summary>The provider for the highest-priority source that is configured.</summary>
        /// <exception cref="CredentialNotFoundException">No source is configured; the message lists every place looked at.</exception>
        /// <exception cref="CredentialException">A source is configured but unusable (see <see cref="CredentialErrorIds"/>).</exception>
        public static ICredentialProvider Resolve(CredentialChainOptions options) => Resolve(options, out _);

        /// <summary>As <see cref="Resolve(CredentialChainOptions)"/>, also giving the places consulted in order (the last one is the winner).</summary>
        public static ICredentialProvider Resolve(CredentialChainOptions options, out IReadOnlyList<string> placesLookedAt)
        {
            if (options is null) throw new ArgumentNullException(nameof(options));
            var resolver = new Resolver(options);
            placesLookedAt = resolver.Places;
            return resolver.Resolve();
        }

        /// <summary>
        /// The profile names -ProfileName accepts: the CLI file's profiles, then the INI file's sections, without
        /// duplicates. Only names: no profile is validated and no secret leaves the parsers. A missing or
        /// malformed file contributes nothing, so tab completion never fails.
        /// </summary>
        public static IReadOnlyList<string> ListProfileNames(CredentialChainOptions options)
        {
            if (options is null) throw new ArgumentNullException(nameof(options));
            return new Resolver(options).ProfileNames();
        }

        // ECS providers by everything that shapes them. PowerShell resolves once per cmdlet call; sharing the
        // provider keeps its cached credential and token instead of asking the metadata service every time.
        private static readonly ConcurrentDictionary<string, EcsRamRoleCredentialProvider> SharedEcsProviders =
            new ConcurrentDictionary<string, EcsRamRoleCredentialProvider>(StringComparer.Ordinal);

        private sealed class Resolver
        {
            private const string EcsSkipped = "ECS instance RAM role: skipped (set " + CredentialEnvironmentVariables.EcsMetadata + " to the role name on an ECS instance)";

            private readonly CredentialChainOptions _options;
            private readonly List<string> _places = new List<string>();
            private readonly string _home;
            private readonly string _cliPath;
            private readonly bool _hasHome;
            private bool _cliLoaded, _iniLoaded;
            private AliyunCliConfigFile? _cli;
            private AlibabaCloudIniFile? _ini;
            private string? _iniPath;
            private string? _iniPathShown;

            public Resolver(CredentialChainOptions options)
            {
                _options = options;
                _home = options.HomeDirectory;
                // No home folder (some service accounts): never let Path.Combine make the files relative to the current directory.
                _hasHome = !string.IsNullOrWhiteSpace(_home);
                _cliPath = _hasHome ? AliyunCliConfigFile.DefaultPath(_home) : "~/.aliyun/config.json (no home folder)";
            }

            public IReadOnlyList<string> Places => _places;

            public ICredentialProvider Resolve()
            {
                // 1/2. Explicit parameters (-Credential or -AccessKeyId/-AccessKeySecret).
                var source = string.IsNullOrWhiteSpace(_options.ExplicitSourceName) ? "explicit parameters" : _options.ExplicitSourceName;
                var id = NonEmpty(_options.AccessKeyId);
                var secret = NonEmpty(_options.AccessKeySecret);
                var token = NonEmpty(_options.SecurityToken);
                if (id != null || secret != null || token != null)
                {
                    if (id == null || secret == null)
                        throw new CredentialException(CredentialErrorIds.IncompleteCredential,
                            $"{source}: {(id == null ? "an AccessKeySecret or SecurityToken was given without an AccessKeyId" : "an AccessKeyId was given without an AccessKeySecret")}. Give both (and optionally a SecurityToken).");
                    var credential = new AccessKeyCredential(id, secret, token, source);
                    _places.Add($"explicit parameters ({source}): found");
                    return Static(credential, $"explicit parameters ({source})");
                }
                _places.Add("explicit parameters: none given");

                // 3. -ProfileName: that profile or an error, never another source.
                var profileName = NonEmpty(_options.ProfileName);
                if (profileName != null) return FromNamedProfile(profileName.Trim(), "-ProfileName");
                _places.Add("profile name (-ProfileName): none given");

                // 4. Environment variables.
                var envId = Env(CredentialEnvironmentVariables.AccessKeyId);
                var envSecret = Env(CredentialEnvironmentVariables.AccessKeySecret);
                if (envId != null || envSecret != null)
                {
                    if (envId == null || envSecret == null)
                        throw new CredentialException(CredentialErrorIds.IncompleteCredential,
                            $"The environment variable {(envId == null ? CredentialEnvironmentVariables.AccessKeySecret : CredentialEnvironmentVariables.AccessKeyId)} is set but " +
                            $"{(envId == null ? CredentialEnvironmentVariables.AccessKeyId : CredentialEnvironmentVariables.AccessKeySecret)} is not. Set both, or neither.");
                    var envToken = Env(CredentialEnvironmentVariables.SecurityToken);
                    var what = $"environment variables {CredentialEnvironmentVariables.AccessKeyId}/{CredentialEnvironmentVariables.AccessKeySecret}"
                        + (envToken == null ? "" : "/" + CredentialEnvironmentVariables.SecurityToken);
                    _places.Add(what + ": found");
                    return Static(new AccessKeyCredential(envId, envSecret, envToken, what), what);
                }
                _places.Add($"environment variables {CredentialEnvironmentVariables.AccessKeyId}/{CredentialEnvironmentVariables.AccessKeySecret}: not set");

                var envProfile = Env(CredentialEnvironmentVariables.Profile);
                if (envProfile != null) return FromNamedProfile(envProfile, "environment variable " + CredentialEnvironmentVariables.Profile);
                _places.Add($"environment variable {CredentialEnvironmentVariables.Profile}: not set");

                // 5. Default profiles: the CLI's current one, then the INI [default].
                if (CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.CliProfileDisabled)))
                {
                    _places.Add($"{_cliPath}: skipped ({CredentialEnvironmentVariables.CliProfileDisabled}=true)");
                }
                else
                {
                    var cli = LoadCli();
                    if (cli == null)
                    {
                        _places.Add($"{_cliPath}: file not found");
                    }
                    else
                    {
                        var current = cli.Current ?? "default";
                        var profile = cli.Find(current);
                        if (profile != null)
                        {
                            _places.Add($"{_cliPath} current profile '{current}': found");
                            return FromProfile(profile, "the CLI's current profile");
                        }
                        _places.Add($"{_cliPath} current profile '{current}': no such profile");
                    }
                }

                var ini = LoadIni();
                if (ini == null)
                {
                    _places.Add($"{_iniPathShown}: file not found");
                }
                else
                {
                    var profile = ini.Find("default");
                    if (profile != null)
                    {
                        _places.Add($"{ini.Path} [default]: found");
                        return FromProfile(profile, "the default profile");
                    }
                    _places.Add($"{ini.Path} [default]: no such section");
                }

                // 6. ECS instance RAM role, only when asked for: probing 100.100.100.200 unasked costs
                // seconds on every machine that is not ECS.
                var role = Env(CredentialEnvironmentVariables.EcsMetadata);
                if (CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.EcsMetadataDisabled)))
                {
                    _places.Add($"ECS instance RAM role: disabled ({CredentialEnvironmentVariables.EcsMetadataDisabled}=true)");
                }
                else if (role != null)
                {
                    _places.Add($"ECS instance RAM role '{role}' ({CredentialEnvironmentVariables.EcsMetadata}): found");
                    return Ecs(role, $"role named by {CredentialEnvironmentVariables.EcsMetadata}");
                }
                else
                {
                    _places.Add(EcsSkipped);
                }

                throw new CredentialNotFoundException(_places.ToArray());
            }

            private ICredentialProvider FromNamedProfile(string name, string namedBy)
            {
                var cli = LoadCli();
                var profile = cli?.Find(name);
                if (profile != null)
                {
                    _places.Add($"{_cliPath} profile '{name}' ({namedBy}): found");
                    return FromProfile(profile, "named by " + namedBy);
                }
                var ini = LoadIni();
                profile = ini?.Find(name);
                if (profile != null)
                {
                    _places.Add($"{ini!.Path} [{name}] ({namedBy}): found");
                    return FromProfile(profile, "named by " + namedBy);
                }

                throw new CredentialException(CredentialErrorIds.ProfileNotFound,
                    $"The profile '{name}' ({namedBy}) does not exist. Looked in {_cliPath} ({Existing(cli?.ProfileNames, cli != null)}) " +
                    $"and in {_iniPathShown} ({Existing(ini?.SectionNames, ini != null)}). " +
                    "Create it with 'aliyun configure --profile <name>', or use one of the existing names.");
            }

            private ICredentialProvider FromProfile(CredentialProfile profile, string why)
            {
                switch (profile.Kind)
                {
                    case CredentialProfileKind.EcsRamRole:
                        if (CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.EcsMetadataDisabled)))
                            throw new CredentialException(CredentialErrorIds.EcsMetadataDisabled,
                                $"The {profile.Location} asks for the ECS instance RAM role, but {CredentialEnvironmentVariables.EcsMetadataDisabled}=true forbids using the metadata service.");
                        return Ecs(profile.RoleName!, $"{profile.Location}, {why}");
                    default:
                        var credential = new AccessKeyCredential(profile.AccessKeyId!, profile.AccessKeySecret!, profile.SecurityToken, profile.Location);
                        return Static(credential, $"{profile.Location}, {why}");
                }
            }

            private EcsRamRoleCredentialProvider Ecs(string role, string origin)
            {
                var endpoint = _options.EcsMetadataEndpoint;
                if (endpoint == null)
                {
                    var fromEnv = Env(CredentialEnvironmentVariables.DyplsEcsMetadataEndpoint);
                    if (fromEnv != null)
                    {
                        if (!Uri.TryCreate(fromEnv, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                            throw new CredentialException(CredentialErrorIds.InvalidEcsMetadataEndpoint,
                                $"The environment variable {CredentialEnvironmentVariables.DyplsEcsMetadataEndpoint} is not an absolute http:// or https:// URL.");
                    }
                }
                endpoint ??= CredentialChainOptions.DefaultEcsMetadataEndpoint;
                var imdsV1Disabled = CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.ImdsV1Disabled));
                var client = _options.MetadataHttpClient;
                if (client == null && _options.MetadataHttpMessageHandler != null)
                    client = new HttpClient(_options.MetadataHttpMessageHandler, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

                if (client != null || _options.Clock != CredentialChainOptions.SystemClock)
                    return new EcsRamRoleCredentialProvider(role, endpoint, client, _options.MetadataTimeout, imdsV1Disabled, _options.Clock, origin);
                var key = string.Join("\n", endpoint.AbsoluteUri, role, imdsV1Disabled.ToString(), _options.MetadataTimeout.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), origin);
                return SharedEcsProviders.GetOrAdd(key, _ => new EcsRamRoleCredentialProvider(role, endpoint, null, _options.MetadataTimeout, imdsV1Disabled, null, origin));
            }

            private static StaticCredentialProvider Static(AccessKeyCredential credential, string where) =>
                new StaticCredentialProvider(credential, $"{where}, AccessKeyId {credential.MaskedAccessKeyId}{(credential.SecurityToken == null ? "" : ", with STS token")}");

            public List<string> ProfileNames()
            {
                var names = new List<string>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                try
                {
                    foreach (var n in LoadCli()?.ProfileNames ?? Array.Empty<string>()) if (seen.Add(n)) names.Add(n);
                }
                catch (CredentialException) { }
                try
                {
                    foreach (var n in LoadIni()?.SectionNames ?? Array.Empty<string>()) if (seen.Add(n)) names.Add(n);
                }
                catch (CredentialException) { }
                return names;
            }

            private AliyunCliConfigFile? LoadCli()
            {
                if (!_cliLoaded)
                {
                    _cli = _hasHome ? AliyunCliConfigFile.Load(_cliPath) : null;
                    _cliLoaded = true;
                }
                return _cli;
            }

            private AlibabaCloudIniFile? LoadIni()
            {
                if (!_iniLoaded)
                {
                    ResolveIniPath();
                    _ini = _iniPath == null ? null : AlibabaCloudIniFile.Load(_iniPath);
                    _iniLoaded = true;
                }
                return _ini;
            }

            private void ResolveIniPath()
            {
                var fromEnv = Env(CredentialEnvironmentVariables.CredentialsFile);
                if (fromEnv != null)
                {
                    // The SDKs accept "~/..." here; expand it against our (possibly test) home.
                    if (fromEnv == "~" || fromEnv.StartsWith("~/", StringComparison.Ordinal) || fromEnv.StartsWith("~\\", StringComparison.Ordinal))
                        fromEnv = Path.Combine(_home, fromEnv.Substring(Math.Min(2, fromEnv.Length)));
                    _iniPath = fromEnv;
                    _iniPathShown = $"{fromEnv} ({CredentialEnvironmentVariables.CredentialsFile})";
                    return;
                }
                if (!_hasHome)
                {
                    _iniPathShown = "~/.alibabacloud/credentials (no home folder)";
                    return;
                }
                var main = Path.Combine(_home, ".alibabacloud", "credentials");
                var alternative = main + ".ini";
                _iniPath = !File.Exists(main) && File.Exists(alternative) ? alternative : main;
                _iniPathShown = File.Exists(_iniPath) ? _iniPath : $"{main} (or {alternative})";
            }

            private static string Existing(IReadOnlyList<string>? names, bool fileExists)
            {
                if (!fileExists) return "file not found";
                if (names == null || names.Count == 0) return "no profiles";
                return "existing profiles: " + string.Join(", ", names);
            }

            private string? Env(string name) => NonEmpty(_options.GetEnvironmentVariable?.Invoke(name))?.Trim();

            private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
        }
    }
}
