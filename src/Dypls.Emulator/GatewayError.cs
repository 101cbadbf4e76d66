namespace Dypls.Emulator;

/// <summary>An error the API gateway answers before the product sees the call, with Alibaba's codes and texts.</summary>
public sealed record GatewayError(int StatusCode, string Code, string Message)
{
    public static GatewayError Missing(string parameter) =>
        new(400, "Missing" + parameter, parameter + " is mandatory for this action.");

    public static GatewayError InvalidSignatureMethod() =>
        new(400, "InvalidSignatureMethod", "Specified signature method is not supported.");

    public static GatewayError InvalidSignatureVersion() =>
        new(400, "InvalidSignatureVersion", "Specified signature version is not supported.");

    public static GatewayError TimestampFormat() =>
        new(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.");

    public static GatewayError TimestampExpired() =>
        new(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");

    public static GatewayError AccessKeyNotFound() =>
        new(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");

    public static GatewayError SecurityTokenMalformed() =>
        new(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.");

    public static GatewayError SecurityTokenMismatch() =>
        new(400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.");

    public static GatewayError SecurityTokenExpired() =>
        new(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.");

    public static GatewayError SignatureDoesNotMatch(string stringToSign) =>
        new(400, "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. server string to sign is:" + stringToSign);

    public static GatewayError NonceUsed() =>
        new(400, "SignatureNonceUsed", "Specified signature nonce was used already.");

    public static GatewayError Throttled() =>
        new(400, "Throttling.User", "Request was denied due to user flow control.");

    public static GatewayError ActionNotFound() =>
        new(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.");

    public static GatewayError InvalidVersion() =>
        new(400, "InvalidVersion", "Specified parameter Version is not valid.");

    public static GatewayError InternalError() =>
        new(500, "InternalError", "The request processing has failed due to some unknown error, exception or failure.");

    public static GatewayError ServiceUnavailable() =>
        new(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.");

    /// <summary>The key authenticated, but its RAM policy does not allow the action.</summary>
    public static GatewayError ForbiddenRam() =>
        new(403, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.");

    /// <summary>The status and body start of the endless-error fault (the rest of the body never comes).</summary>
    public static GatewayError EndlessBadRequest() =>
        new(400, "InvalidParameter", "The specified parameter is not valid.");

    public bool IsAuthFailure => Code.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal) ||
                                 Code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal);
}
