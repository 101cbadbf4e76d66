using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;

namespace Dypls.Credentials
{
    /// <summary>
    /// Picks the credential source the way Alibaba Cloud's own tools do, highest priority first:
    /// 1. -Credential; 2. -AccessKeyId/-AccessKeySecret; 3. -ProfileName; 4. ALIBABA_CLOUD_ACCESS_KEY_*;
    /// 5. RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE);
    /// 6. ALIBABA_CLOUD_PROFILE, or the CLI's current profile; 7. the INI [default];
    /// 8. the ECS RAM role when ALIBABA_CLOUD_ECS_METADATA names it; 9. ALIBABA_CLOUD_CREDENTIALS_URI.
    /// The decision is synchronous and reads only files and variables; network calls happen later, in
    /// the returned provider's GetCredentialAsync.
    /// </summary>
    internal static class CredentialChain
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

        // Providers of temporary credentials by everything that shapes them (never a secret in clear: see SourceKey).
        // PowerShell resolves once per cmdlet call; sharing the provider keeps its session (and its single flight)
        // across calls instead of asking the metadata service or STS every time.
        private static readonly ConcurrentDictionary<string, ICredentialProvider> SharedProviders =
            new ConcurrentDictionary<string, ICredentialProvider>(StringComparer.Ordinal);

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

                // 5. RRSA: the three variables Container Service sets in a pod with a RAM role for its service account.
                var rrsaRole = Env(CredentialEnvironmentVariables.RoleArn);
                var rrsaProvider = Env(CredentialEnvironmentVariables.OidcProviderArn);
                var rrsaToken = Env(CredentialEnvironmentVariables.OidcTokenFile);
                const string rrsaNames = CredentialEnvironmentVariables.RoleArn + "/" + CredentialEnvironmentVariables.OidcProviderArn + "/" + CredentialEnvironmentVariables.OidcTokenFile;
                if (rrsaRole != null && rrsaProvider != null && rrsaToken != null)
                {
                    _places.Add($"environment variables {rrsaNames} (RRSA): found");
                    var where = $"environment variables {rrsaNames} (RRSA, OIDC)";
                    var rrsa = new CredentialProfile(CredentialProfileKind.Oidc, where)
                    {
                        Mode = "OIDC",
                        RoleArn = rrsaRole,
                        OidcProviderArn = rrsaProvider,
                        OidcTokenFile = rrsaToken,
                    };
                    return Oidc(rrsa, where, "environment");
                }
                _places.Add(rrsaRole == null && rrsaProvider == null && rrsaToken == null
                    ? $"environment variables {rrsaNames} (RRSA): not set"
                    : $"environment variables {rrsaNames} (RRSA): only some are set, so skipped (all three are needed)");

                // 6. A profile named by ALIBABA_CLOUD_PROFILE, or the CLI's current profile; 7. the INI [default].
                var envProfile = Env(CredentialEnvironmentVariables.Profile);
                if (envProfile != null) return FromNamedProfile(envProfile, "environment variable " + CredentialEnvironmentVariables.Profile);
                _places.Add($"environment variable {CredentialEnvironmentVariables.Profile}: not set");

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

                // 8. ECS instance RAM role, only when asked for: probing 100.100.100.200 unasked costs
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

                // 9. A credentials service named by ALIBABA_CLOUD_CREDENTIALS_URI.
                var uri = Env(CredentialEnvironmentVariables.CredentialsUri);
                if (uri != null)
                {
                    _places.Add($"environment variable {CredentialEnvironmentVariables.CredentialsUri}: found");
                    return CredentialsUri(uri, $"environment variable {CredentialEnvironmentVariables.CredentialsUri}");
                }
                _places.Add($"environment variable {CredentialEnvironmentVariables.CredentialsUri}: not set");

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

            private ICredentialProvider FromProfile(CredentialProfile profile, string why) =>
                FromProfile(profile, why, new List<string>());

            private ICredentialProvider FromProfile(CredentialProfile profile, string why, List<string> chain)
            {
                var where = $"{profile.Location}, {why}";
                switch (profile.Kind)
                {
                    case CredentialProfileKind.EcsRamRole:
                        CheckEcsAllowed(profile);
                        return Ecs(profile.RoleName!, where);
                    case CredentialProfileKind.RamRoleArn:
                    {
                        var source = Static(new AccessKeyCredential(profile.AccessKeyId!, profile.AccessKeySecret!, profile.SecurityToken, profile.Location), "source AccessKey of " + profile.Location);
                        return AssumeRole(profile, where, source);
                    }
                    case CredentialProfileKind.RamRoleArnWithEcsRole:
                        CheckEcsAllowed(profile);
                        return AssumeRole(profile, where, Ecs(profile.RoleName!, "source of " + profile.Location));
                    case CredentialProfileKind.ChainableRamRoleArn:
                    {
                        chain.Add(profile.Location);
                        var sourceName = profile.SourceProfile!;
                        var cli = LoadCli();
                        var sourceProfile = cli?.Find(sourceName);
                        if (sourceProfile == null)
                            throw new CredentialException(CredentialErrorIds.ProfileNotFound,
                                $"The {profile.Location} names source_profile '{sourceName}', which does not exist in {_cliPath} ({Existing(cli?.ProfileNames, cli != null)}).");
                        if (chain.Contains(sourceProfile.Location) || chain.Count > 10)
                            throw new CredentialException(CredentialErrorIds.InvalidProfile,
                                $"The source_profile settings of {_cliPath} go round in a circle ({string.Join(" -> ", chain)} -> {sourceProfile.Location}). Point the last one at a profile with its own keys.");
                        var source = FromProfile(sourceProfile, "source_profile of " + profile.Location, chain);
                        return AssumeRole(profile, where, source);
                    }
                    case CredentialProfileKind.Oidc:
                        return Oidc(profile, where, profile.Location);
                    case CredentialProfileKind.CredentialsUri:
                    {
                        var uri = profile.CredentialsUri ?? Env(CredentialEnvironmentVariables.CredentialsUri);
                        if (uri == null)
                            throw new CredentialException(CredentialErrorIds.IncompleteProfile,
                                $"The {profile.Location} has no 'credentials_uri', and {CredentialEnvironmentVariables.CredentialsUri} is not set either.");
                        return CredentialsUri(uri, where);
                    }
                    case CredentialProfileKind.External:
                        return Shared("external\n" + profile.ProcessCommand + "\n" + where,
                            () => new ExternalProcessCredentialProvider(profile.ProcessCommand!, where, CustomClock));
                    default:
                        var credential = new AccessKeyCredential(profile.AccessKeyId!, profile.AccessKeySecret!, profile.SecurityToken, profile.Location);
                        return Static(credential, where);
                }
            }

            private void CheckEcsAllowed(CredentialProfile profile)
            {
                if (CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.EcsMetadataDisabled)))
                    throw new CredentialException(CredentialErrorIds.EcsMetadataDisabled,
                        $"The {profile.Location} asks for the ECS instance RAM role, but {CredentialEnvironmentVariables.EcsMetadataDisabled}=true forbids using the metadata service.");
            }

            /// <summary>The role settings STS needs; the profile's values win over the environment's, as in the official libraries.</summary>
            private (StsClient Sts, StsRoleRequest Request) RoleSettings(CredentialProfile profile, string where)
            {
                var endpoint = StsEndpoint.Select(
                    profile.StsEndpoint ?? Env(CredentialEnvironmentVariables.StsEndpoint),
                    profile.StsRegion ?? Env(CredentialEnvironmentVariables.StsRegion),
                    profile.EnableVpc || CredentialProfile.IsTrue(Env(CredentialEnvironmentVariables.VpcEndpointEnabled)),
                    profile.StsEndpoint != null ? "sts_endpoint of the " + profile.Location
                        : Env(CredentialEnvironmentVariables.StsEndpoint) != null ? "environment variable " + CredentialEnvironmentVariables.StsEndpoint
                        : profile.StsRegion != null ? "sts_region of the " + profile.Location
                        : "environment variable " + CredentialEnvironmentVariables.StsRegion);
                var duration = profile.DurationSeconds ?? DefaultSessionSeconds;
                if (duration < 900)
                    throw new CredentialException(CredentialErrorIds.InvalidProfile,
                        $"The {profile.Location} asks for sessions of {duration.ToString(System.Globalization.CultureInfo.InvariantCulture)} s; STS needs at least 900 (expired_seconds / role_session_expiration).");
                var sessionName = profile.RoleSessionName ?? Env(CredentialEnvironmentVariables.RoleSessionName) ?? DefaultSessionName();
                var request = new StsRoleRequest(profile.RoleArn!, sessionName, duration, profile.Policy, profile.ExternalId);
                return (new StsClient(endpoint, _options.StsHttpClient, CustomClock), request);
            }

            private ICredentialProvider AssumeRole(CredentialProfile profile, string where, ICredentialProvider source)
            {
                var (sts, request) = RoleSettings(profile, where);
                var origin = $"{where} ({profile.Mode}, role {request.RoleArn})";
                var key = string.Join("\n", "assume-role", sts.Endpoint.AbsoluteUri, request.RoleArn, profile.RoleSessionName ?? Env(CredentialEnvironmentVariables.RoleSessionName) ?? "", request.DurationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    request.Policy ?? "", request.ExternalId ?? "", SourceKey(source), origin);
                return Shared(key, () => new RamRoleArnCredentialProvider(source, sts, request, origin, CustomClock));
            }

            private ICredentialProvider Oidc(CredentialProfile profile, string where, string namedBy)
            {
                var (sts, request) = RoleSettings(profile, where);
                var origin = $"{where} ({profile.Mode}, role {request.RoleArn})";
                var key = string.Join("\n", "oidc", sts.Endpoint.AbsoluteUri, request.RoleArn, profile.OidcProviderArn, profile.OidcTokenFile, profile.RoleSessionName ?? Env(CredentialEnvironmentVariables.RoleSessionName) ?? "",
                    request.DurationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Policy ?? "", origin, namedBy);
                return Shared(key, () => new OidcRoleArnCredentialProvider(profile.OidcProviderArn!, profile.OidcTokenFile!, sts, request, origin, CustomClock));
            }

            private ICredentialProvider CredentialsUri(string text, string where)
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    throw new CredentialException(CredentialErrorIds.InvalidProfile, $"The credentials URI of the {where} is not an absolute http:// or https:// URL.");
                return Shared("uri\n" + uri.AbsoluteUri + "\n" + where, () => new CredentialsUriCredentialProvider(uri, where, _options.StsHttpClient, CustomClock));
            }

            /// <summary>Shared process-wide unless a test changed the clock or the HTTP client.</summary>
            private ICredentialProvider Shared(string key, Func<ICredentialProvider> create)
            {
                if (CustomClock != null || _options.StsHttpClient != null) return create();
                return SharedProviders.GetOrAdd(key, _ => create());
            }

            private Func<DateTimeOffset>? CustomClock => _options.Clock == CredentialChainOptions.SystemClock ? null : _options.Clock;

            /// <summary>Identifies a signing source without keeping its secret in clear: a hash of id, secret and token.</summary>
            private static string SourceKey(ICredentialProvider source)
            {
                if (source is StaticCredentialProvider s)
                {
                    var c = s.GetCredentialAsync(System.Threading.CancellationToken.None).GetAwaiter().GetResult();
                    using var sha = System.Security.Cryptography.SHA256.Create();
                    var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(c.AccessKeyId + "\n" + c.AccessKeySecret + "\n" + (c.SecurityToken ?? "")));
                    return "static:" + Convert.ToBase64String(hash);
                }
                // Temporary sources are themselves shared, so the instance identifies them.
                return "provider:" + System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(source).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + source.Description;
            }

            private const int DefaultSessionSeconds = 3600;

            // The official libraries default to "<library>-<time>"; the time keeps sessions apart in ActionTrail.
            private static string DefaultSessionName() =>
                "dypls-" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

            private ICredentialProvider Ecs(string role, string origin)
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
                return SharedProviders.GetOrAdd("ecs\n" + key, _ => new EcsRamRoleCredentialProvider(role, endpoint, null, _options.MetadataTimeout, imdsV1Disabled, null, origin));
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
