using System;

namespace Dypls.Downloads
{
    /// <summary>What a partial file holds: bytes saved so far, the validator (ETag) they belong to, and the full length.</summary>
    internal readonly struct PartialState
    {
        public PartialState(long length, string? validator, long total)
        {
            Length = length;
            Validator = validator;
            Total = total;
        }

        public long Length { get; }
        public string? Validator { get; }

        /// <summary>The object's full length as the server said when the partial was started; -1 when unknown.</summary>
        public long Total { get; }

        /// <summary>Only bytes that can be proven to be the same object are resumed.</summary>
        public bool CanResume => Length > 0 && Validator != null;

        public static readonly PartialState Empty = new PartialState(0, null, -1);
    }
}
