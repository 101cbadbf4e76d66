namespace Dypls.Emulator;

/// <summary>An MNS error answer: status, Code and Message as MNS's error-code table documents them.</summary>
internal sealed record MnsError(int StatusCode, string Code, string Message)
{
    public static MnsError MissingAuthorization() => new(400, "MissingAuthorizationHeader", "Authorization header is required.");

    public static MnsError InvalidAuthorization() => new(400, "InvalidAuthorizationHeader", "The Authorization header format is invalid.");

    public static MnsError MissingDate() => new(400, "MissingDateHeader", "Date header is required.");

    public static MnsError InvalidDate() => new(400, "InvalidDateHeader", "The Date header format is invalid.");

    public static MnsError TimeExpired() => new(408, "TimeExpired", "The http request you sent is expired.");

    public static MnsError MissingVersion() => new(400, "MissingVersionHeader", "x-mns-version header is required.");

    public static MnsError InvalidVersion() => new(400, "InvalidVersionHeader", "The x-mns-version header is invalid; it must be " + EmulatorDefaults.MnsVersion + ".");

    public static MnsError InvalidAccessKeyId() => new(403, "InvalidAccessKeyId", "The AccessKey Id you provided is not exist.");

    public static MnsError SignatureDoesNotMatch(string stringToSign) =>
        new(403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Server string to sign is: " + stringToSign);

    /// <summary>The security-token header is missing or is not the token minted with this AccessKeyId.</summary>
    public static MnsError SecurityTokenInvalid() => new(403, "AccessDenied", "The security token you provided is invalid.");

    /// <summary>
    /// MNS documents no code for an expired STS token; this one names the cause, and any 403 should make a client fetch
    /// a new token once.
    /// </summary>
    public static MnsError SecurityTokenExpired() => new(403, "SecurityTokenExpired", "The security token you provided has expired.");

    public static MnsError AccessDenied() => new(403, "AccessDenied", "The OwnerId that your Access Key Id associated to is forbidden for this operation.");

    public static MnsError QueueNotExist() => new(404, "QueueNotExist", "The queue name you provided is not exist.");

    public static MnsError MessageNotExist() => new(404, "MessageNotExist", "Message not exist.");

    public static MnsError ReceiptHandleError() => new(400, "ReceiptHandleError", "The receipt handle you provide is not valid.");

    public static MnsError MissingReceiptHandle() => new(400, "MissingReceiptHandle", "ReceiptHandle is required.");

    public static MnsError MissingVisibilityTimeout() => new(400, "MissingVisibilityTimeout", "VisibilityTimeout is required.");

    public static MnsError MalformedXml() => new(400, "MalformedXML", "The XML you provided was not well-formed.");

    public static MnsError InvalidArgument(string message) => new(400, "InvalidArgument", message);

    public static MnsError InternalError() => new(500, "InternalError", "Interal error.");
}
