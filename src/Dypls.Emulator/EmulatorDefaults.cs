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

    /// <summary>Call times are China Standard Time on the wire.</summary>
    public static readonly TimeSpan CallTimeOffset = TimeSpan.FromHours(8);
}
