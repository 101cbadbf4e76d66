namespace Dypls.Api
{
    /// <summary>What a failed call means for the caller, per the retry classes in the Dyplsapi facts sheet.</summary>
    public enum ApiErrorKind
    {
        /// <summary>Fails this row only; retrying will not help.</summary>
        Permanent,

        /// <summary>Server trouble, throttling, network failure or timeout: retried with backoff.</summary>
        Transient,

        /// <summary>Nonce reuse or timestamp outside the window: re-signed and retried once.</summary>
        Resign,

        /// <summary>Credential or signature failure: every row would fail the same way.</summary>
        Authentication,

        /// <summary>The identity may not call the action (RAM policy): every row would fail the same way.</summary>
        ActionDenied,
    }
}
