using System;

namespace Dypls.Api
{
    /// <summary>An error answer from Dyplsapi (gateway or product), or a transport failure, with the service's own fields.</summary>
    public sealed class DyplsApiException : DyplsException
    {
        public DyplsApiException(string errorId, string message, ApiErrorKind kind, string? code = null, string? apiMessage = null,
            string? requestId = null, int? httpStatus = null, int attempts = 1, Exception? inner = null)
            : base(errorId, message, inner)
        {
            Kind = kind;
            Code = code;
            ApiMessage = apiMessage;
            RequestId = requestId;
            HttpStatus = httpStatus;
            Attempts = attempts;
        }

        public ApiErrorKind Kind { get; }

        /// <summary>The service's Code, e.g. "isv.POOLKEY_NOT_EXISTS"; null for transport failures.</summary>
        public string? Code { get; }

        /// <summary>The service's Message, with anything secret-bearing removed.</summary>
        public string? ApiMessage { get; }

        public string? RequestId { get; }

        public int? HttpStatus { get; }

        public int Attempts { get; internal set; }

        /// <summary>Server's Date header minus the local clock, when the server sent one.</summary>
        public TimeSpan? ClockOffset { get; internal set; }

        public bool IsAuthenticationFailure => Kind == ApiErrorKind.Authentication;

        public override bool StopsRun => Kind == ApiErrorKind.Authentication || Kind == ApiErrorKind.ActionDenied;

        public override FailureCategory Category
        {
            get
            {
                switch (ErrorId)
                {
                    case "AuthenticationFailed": return FailureCategory.AuthenticationError;
                    case "ActionDenied": return FailureCategory.PermissionDenied;
                    case "ClockSkew": return FailureCategory.InvalidOperation;
                    case "Throttled": return FailureCategory.LimitsExceeded;
                    case "RequestTimeout": return FailureCategory.OperationTimeout;
                    case "NetworkError": return FailureCategory.ConnectionError;
                    case "RecordingNotAvailable": return FailureCategory.ObjectNotFound;
                }
                if (ErrorId.StartsWith("Invalid", StringComparison.Ordinal)) return FailureCategory.InvalidArgument;
                return Kind == ApiErrorKind.Transient ? FailureCategory.ResourceUnavailable : FailureCategory.InvalidResult;
            }
        }
    }
}
