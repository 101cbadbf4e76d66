using System;

namespace Dypls.Receipts
{
    /// <summary>An error answer of the receipt queue (MNS), or a transport failure talking to it.</summary>
    public sealed class MnsException : DyplsException
    {
        internal MnsException(string errorId, string message, string? code = null, int? httpStatus = null, string? requestId = null,
            bool transient = false, bool stopsRun = false, FailureCategory category = FailureCategory.NotSpecified, Exception? inner = null)
            : base(errorId, message, inner, stopsRun, category)
        {
            Code = code;
            HttpStatus = httpStatus;
            RequestId = requestId;
            IsTransient = transient;
        }

        /// <summary>The queue's error Code, such as QueueNotExist; null for transport failures.</summary>
        public string? Code { get; }

        public int? HttpStatus { get; }

        public string? RequestId { get; }

        /// <summary>Worth another attempt (5xx, throttling, a reset, a timeout).</summary>
        public bool IsTransient { get; }
    }
}
