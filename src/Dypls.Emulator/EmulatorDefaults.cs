namespace Dypls.Emulator;

/// <summary>
/// Fixed values of the emulator. The demo keys are public on purpose: tests and docs use them, and they
/// only ever open this local emulator.
/// </summary>
public static class EmulatorDefaults
{
    public const string DemoAccessKeyId = "LTAI5tDyplsDemoKey0001";
    public const string DemoAccessKeySecret = "DyplsDemoSecret0000000000000001";

    public const string DemoStsAccessKeyId = "STS.DyplsDemoKey0001";
    public const string DemoStsAccessKeySecret = "DyplsDemoStsSecret000000000001";
    public const string DemoStsSecurityToken = "DyplsDemoSecurityToken0001";

    /// <summary>The account of the demo roles and OIDC provider.</summary>
    public const string DemoAccountId = "1234567890123456";
    /// <summary>A role any known key, and the demo OIDC token, may assume.</summary>
    public const string DemoRoleArn = "acs:ram::" + DemoAccountId + ":role/dypls-reader";
    /// <summary>A role that exists but refuses everyone (403 NoPermission).</summary>
    public const string DemoDeniedRoleArn = "acs:ram::" + DemoAccountId + ":role/dypls-denied";
    public const string DemoOidcProviderArn = "acs:ram::" + DemoAccountId + ":oidc-provider/dypls-demo";
    /// <summary>The OIDC token AssumeRoleWithOIDC accepts by default: what an RRSA token file would hold.</summary>
    public const string DemoOidcToken = "DyplsDemoOidcToken0001";
    public const int StsSessionSeconds = 3600;
    /// <summary>The credentials URI endpoint (CredentialsURI mode, ALIBABA_CLOUD_CREDENTIALS_URI).</summary>
    public const string CredentialsUriPath = "/credentials-uri";
    /// <summary>
    /// A demo key whose signature verifies but whose RAM policy denies the action: every authenticated call answers
    /// 403 Forbidden.RAM, as for a RAM user without dypls:QueryRecordFileDownloadUrl.
    /// </summary>
    public const string DeniedAccessKeyId = "LTAI5tDyplsDeniedKey01";
    public const string DeniedAccessKeySecret = "DyplsDeniedSecret00000000000001";

    public const string ApiVersion = "2017-05-25";
    public const string Action = "QueryRecordFileDownloadUrl";

    /// <summary>The gateway host Alibaba reports in HostId; clients never dial it here.</summary>
    public const string ApiHostId = "dyplsapi.aliyuncs.com";

    /// <summary>The bucket of real recording URLs, served path-style by the emulator.</summary>
    public const string Bucket = "secret-axb-record-files";
    public const string OssHostId = Bucket + ".oss-cn-shanghai.aliyuncs.com";

    /// <summary>The service's own OSS key that signs download URLs (internal; clients never sign with it).</summary>
    public const string OssAccessKeyId = "LTAI5tDyplsOssKey0001";
    public const string OssAccessKeySecret = "DyplsEmulatorOssSecret00000001";

    public const string Host = "127.0.0.1";
    public const int Port = 0;
    public const int UrlTtlSeconds = 7200;
    public const long RecordingSize = 65536;
    public const int TimestampWindowMinutes = 15;
    public const int RetentionDays = 30;
    public const int EcsCredentialLifetimeSeconds = 3600;

    /// <summary>ECS metadata tokens may live at most 6 hours, as on a real instance.</summary>
    public const int MaxMetadataTokenTtlSeconds = 21600;

    /// <summary>The product's documented quota; informative only (the emulator is unlimited unless --qps).</summary>
    public const int DocumentedQps = 3000;

    /// <summary>Dybaseapi's action that hands out STS keys for the receipt queues (same Version as Dyplsapi).</summary>
    public const string MnsTokenAction = "QueryTokenForMnsQueue";

    /// <summary>The Dybaseapi host Alibaba reports in HostId for the token call.</summary>
    public const string DybaseapiHostId = "dybaseapi.aliyuncs.com";

    /// <summary>Lifetime of a queue token: undocumented; Alibaba's Node SDKs assume 10 minutes.</summary>
    public const int TokenLifetimeSeconds = 600;

    /// <summary>The MNS REST API version the receipt queues speak (header x-mns-version).</summary>
    public const string MnsVersion = "2015-06-06";

    /// <summary>The namespace of MNS answers, as captured from the service (no trailing slash).</summary>
    public const string MnsNamespace = "http://mns.aliyuncs.com/doc/v1";

    /// <summary>The namespace of MNS error bodies, as the error-format page shows it (with the trailing slash).</summary>
    public const string MnsErrorNamespace = "http://mns.aliyuncs.com/doc/v1/";

    /// <summary>The host MNS reports in HostId; clients never dial it here.</summary>
    public const string MnsHostId = "mns.cn-hangzhou.aliyuncs.com";

    /// <summary>MNS's documented defaults for a queue: 30 s invisibility after a receive, no long polling.</summary>
    public const int VisibilityTimeoutSeconds = 30;
    public const int PollingWaitSeconds = 0;

    /// <summary>The demo receipt queues, named as Alibaba names them (Alicom-Queue-&lt;uid&gt;-&lt;MessageType&gt;).</summary>
    public const string RecordingQueue = "Alicom-Queue-1234567890-SecretRecording";
    public const string ReportQueue = "Alicom-Queue-1234567890-SecretReport";

    /// <summary>The number pool of generated receipts; the gateway accepts any PoolKey but NOPOOL.</summary>
    public const string ReceiptPoolKey = "FC123456";

    /// <summary>Call times are China Standard Time on the wire.</summary>
    public static readonly TimeSpan CallTimeOffset = TimeSpan.FromHours(8);
}
