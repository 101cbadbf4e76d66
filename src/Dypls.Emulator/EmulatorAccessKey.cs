namespace Dypls.Emulator;

/// <summary>An AccessKey the emulator accepts. A SecurityToken makes it an STS key that must send it.</summary>
/// <remarks>
/// <paramref name="Denied"/>: the key authenticates (its signature verifies) but its RAM policy denies every action, so
/// the gateway answers 403 Forbidden.RAM after the signature checks.
/// </remarks>
public sealed record EmulatorAccessKey(string AccessKeyId, string AccessKeySecret, string? SecurityToken = null, DateTimeOffset? Expiration = null,
    bool Denied = false)
{
    public bool IsSts => SecurityToken is not null;
}
