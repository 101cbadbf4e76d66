using System;

namespace Dypls.Api
{
    /// <summary>Maps service codes and HTTP statuses to retry classes (see dyplsapi-notes.md, "Retry classes").</summary>
    internal static class ApiErrorClassifier
    {
        public static ApiErrorKind Classify(string? code, int httpStatus)
        {
            if (!string.IsNullOrEmpty(code))
            {
                var c = code!;
                if (c.StartsWith("Throttling", StringComparison.OrdinalIgnoreCase)) return ApiErrorKind.Transient;
                switch (c)
                {
                    case "isv.FLOW_LIMIT":
                    case "isp.SYSTEM_ERROR":
                    case "isp.UNKNOWN_ERR_CODE":
                    case "isp.DAO_EXCEPTION":
                    case "isp.GATEWAY_ERROR":
                    case "InternalError":
                    case "ServiceUnavailable":
                        return ApiErrorKind.Transient;
                    case "SignatureNonceUsed":
                    case "InvalidTimeStamp.Expired":
                        return ApiErrorKind.Resign;
                    case "Forbidden.RAM":
                    case "isp.RAM_PERMISSION_DENY":
                    case "Forbidden.AccessDenied":
                    case "NoPermission":
                        return ApiErrorKind.ActionDenied;
                    case "SignatureDoesNotMatch":
                    case "IncompleteSignature":
                        return ApiErrorKind.Authentication;
                }
                if (c.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal) ||
                    c.StartsWith("InvalidSecurityToken", StringComparison.Ordinal))
                {
                    return ApiErrorKind.Authentication;
                }
            }
            if (httpStatus >= 500 || httpStatus == 429 || httpStatus == 408) return ApiErrorKind.Transient;
            return ApiErrorKind.Permanent;
        }
    }
}
