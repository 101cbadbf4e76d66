using System;
using System.Collections.Generic;
using System.Linq;
using Dypls.Text;
using Dypls.Time;

namespace Dypls.Commands
{
    /// <summary>One input row checked and normalised before any request is made.</summary>
    internal sealed class RowRequest
    {
        private RowRequest(string callId, string callTime, string poolKey)
        {
            CallId = callId;
            CallTime = callTime;
            PoolKey = poolKey;
        }

        public string CallId { get; }
        public string CallTime { get; }
        public string PoolKey { get; }

        /// <summary>CallId made safe for a message: control characters shown escaped, long values shortened.</summary>
        public string CallIdForDisplay => MessageText.Shorten(CallId);

        public const int MaxCallIdLength = 100;

        // Not documented; real keys are about 14 characters. A bound keeps a broken CSV cell out of requests and messages.
        public const int MaxPoolKeyLength = 128;

        /// <param name="columnNames">The input row's property names, read only when CallId is missing (to recognise a mis-decoded CSV).</param>
        public static RowRequest Parse(string? callId, object? callTime, string? poolKey, Func<IEnumerable<string>>? columnNames = null)
        {
            var id = (callId ?? string.Empty).Trim();
            if (id.Length == 0)
                throw MissingCallId(columnNames?.Invoke());
            if (id.Length > MaxCallIdLength)
                throw new DyplsException("InvalidCallId", $"CallId '{MessageText.Shorten(id)}' is {id.Length} characters long; Dyplsapi accepts at most {MaxCallIdLength}.");
            foreach (var c in id)
            {
                if (char.IsControl(c))
                    throw new DyplsException("InvalidCallId", $"CallId '{MessageText.Shorten(id)}' contains a control character (such as a line break or NUL); check the CSV's quoting.");
            }

            var key = (poolKey ?? string.Empty).Trim();
            if (key.Length == 0)
                throw new DyplsException("MissingPoolKey", $"CallId '{MessageText.Shorten(id)}' has no PoolKey. Add a PoolKey column, or give -PoolKey (or $PSDefaultParameterValues['*-Dypls*:PoolKey']).");
            if (key.Length > MaxPoolKeyLength)
                throw new DyplsException("InvalidPoolKey", $"CallId '{MessageText.Shorten(id)}': PoolKey '{MessageText.Shorten(key)}' is {key.Length} characters long; pool keys are short codes such as FC100000012345.");
            foreach (var c in key)
            {
                if (char.IsControl(c))
                    throw new DyplsException("InvalidPoolKey", $"CallId '{MessageText.Shorten(id)}': PoolKey '{MessageText.Shorten(key)}' contains a control character (such as a line break or NUL); check the CSV's quoting.");
            }

            var time = Time.CallTime.ToServiceString(Unwrap(callTime));
            return new RowRequest(id, time, key);
        }

        private static DyplsException MissingCallId(IEnumerable<string>? columnNames)
        {
            const string plain = "CallId is empty. Every row needs the call record ID (呼叫记录ID) from the console or the call receipt's call_id.";
            var garbled = columnNames?.FirstOrDefault(Utf8Mojibake.IsLikely);
            if (garbled == null) return new DyplsException("MissingCallId", plain);
            // Windows PowerShell 5.1's Import-Csv reads a file without a BOM in the ANSI code page: the console's
            // Chinese headers then arrive garbled, match no parameter alias, and every row lands here.
            return new DyplsException("MissingCallId",
                $"CallId is empty, and this row's column names look like UTF-8 read in the wrong code page (such as '{MessageText.Shorten(garbled)}'). " +
                "Windows PowerShell 5.1's Import-Csv reads a file without a byte order mark in the ANSI code page: add -Encoding UTF8 (Import-Csv -Path <file> -Encoding UTF8).");
        }

        private static object? Unwrap(object? value) => value is System.Management.Automation.PSObject pso ? pso.BaseObject : value;

    }
}
