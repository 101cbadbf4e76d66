using System;
using System.Collections.Generic;
using System.Linq;
using Dypls.Text;
using Dypls.Time;

namespace Dypls.Runs
{
    /// <summary>
    /// One call record checked and normalised before any request is made: what a row of input asks for. The call time
    /// stays an instant from here to the file name; it becomes the service's text only where text is needed.
    /// </summary>
    internal sealed class CallRequest
    {
        private CallRequest(string callId, DateTimeOffset callTime, string poolKey, string? productType)
        {
            CallId = callId;
            CallTime = callTime;
            PoolKey = poolKey;
            ProductType = productType;
        }

        public string CallId { get; }

        /// <summary>When the call started, at the Beijing offset (UTC+8).</summary>
        public DateTimeOffset CallTime { get; }

        /// <summary>Empty when only <see cref="ProductType"/> names the pool.</summary>
        public string PoolKey { get; }

        /// <summary>The pool's product type (older accounts, in place of PoolKey), or null.</summary>
        public string? ProductType { get; }

        /// <summary>What names the pool in file names ({PoolKey}): the PoolKey, else the ProductType.</summary>
        public string PoolName => PoolKey.Length > 0 ? PoolKey : ProductType ?? string.Empty;

        /// <summary>The call time as the service writes it: "yyyy-MM-dd HH:mm:ss", Beijing time.</summary>
        public string CallTimeText => Time.CallTime.Format(CallTime);

        /// <summary>CallId made safe for a message: control characters shown escaped, long values shortened.</summary>
        public string CallIdForDisplay => MessageText.Shorten(CallId);

        public const int MaxCallIdLength = 100;

        // Not documented; real keys are about 14 characters. A bound keeps a broken CSV cell out of requests and messages.
        public const int MaxPoolKeyLength = 128;

        /// <param name="callTime">Any form <see cref="Time.CallTime"/> takes (unwrapped from PowerShell's PSObject by the caller).</param>
        /// <param name="columnNames">The input row's property names, read only when CallId is missing (to recognise a mis-decoded CSV).</param>
        /// <param name="productType">Older accounts' ProductType, which may stand in for the PoolKey.</param>
        public static CallRequest Parse(string? callId, object? callTime, string? poolKey, Func<IEnumerable<string>>? columnNames = null, string? productType = null)
        {
            var id = (callId ?? string.Empty).Trim();
            if (id.Length == 0)
                throw MissingCallId(columnNames?.Invoke());
            if (id.Length > MaxCallIdLength)
                throw new DyplsException("InvalidCallId", $"CallId '{MessageText.Shorten(id)}' is {id.Length} characters long; Dyplsapi accepts at most {MaxCallIdLength}.", category: FailureCategory.InvalidArgument);
            foreach (var c in id)
            {
                if (char.IsControl(c))
                    throw new DyplsException("InvalidCallId", $"CallId '{MessageText.Shorten(id)}' contains a control character (such as a line break or NUL); check the CSV's quoting.", category: FailureCategory.InvalidArgument);
            }

            var key = (poolKey ?? string.Empty).Trim();
            var product = (productType ?? string.Empty).Trim();
            if (product.Length > MaxPoolKeyLength || product.Any(char.IsControl))
                throw new DyplsException("InvalidProductType", $"CallId '{MessageText.Shorten(id)}': ProductType '{MessageText.Shorten(product)}' cannot be one (too long, or a control character).", category: FailureCategory.InvalidArgument);
            if (key.Length == 0 && product.Length > 0)
                return new CallRequest(id, Time.CallTime.ToBeijing(callTime), string.Empty, product);
            if (key.Length == 0)
                throw new DyplsException("MissingPoolKey", $"CallId '{MessageText.Shorten(id)}' has no PoolKey. Add a PoolKey column, or give -PoolKey (or $PSDefaultParameterValues['*-Dypls*:PoolKey']); older accounts may give -ProductType instead.", category: FailureCategory.InvalidArgument);
            if (key.Length > MaxPoolKeyLength)
                throw new DyplsException("InvalidPoolKey", $"CallId '{MessageText.Shorten(id)}': PoolKey '{MessageText.Shorten(key)}' is {key.Length} characters long; pool keys are short codes such as FC100000012345.", category: FailureCategory.InvalidArgument);
            foreach (var c in key)
            {
                if (char.IsControl(c))
                    throw new DyplsException("InvalidPoolKey", $"CallId '{MessageText.Shorten(id)}': PoolKey '{MessageText.Shorten(key)}' contains a control character (such as a line break or NUL); check the CSV's quoting.", category: FailureCategory.InvalidArgument);
            }

            return new CallRequest(id, Time.CallTime.ToBeijing(callTime), key, product.Length == 0 ? null : product);
        }

        private static DyplsException MissingCallId(IEnumerable<string>? columnNames)
        {
            const string plain = "CallId is empty. Every row needs the call record ID (呼叫记录ID) from the console or the call receipt's call_id.";
            var garbled = columnNames?.FirstOrDefault(Utf8Mojibake.IsLikely);
            if (garbled == null) return new DyplsException("MissingCallId", plain, category: FailureCategory.InvalidArgument);
            // Windows PowerShell 5.1's Import-Csv reads a file without a BOM in the ANSI code page: the console's
            // Chinese headers then arrive garbled, match no parameter alias, and every row lands here.
            return new DyplsException("MissingCallId",
                $"CallId is empty, and this row's column names look like UTF-8 read in the wrong code page (such as '{MessageText.Shorten(garbled)}'). " +
                "Windows PowerShell 5.1's Import-Csv reads a file without a byte order mark in the ANSI code page: add -Encoding UTF8 (Import-Csv -Path <file> -Encoding UTF8).", category: FailureCategory.InvalidArgument);
        }

    }
}
