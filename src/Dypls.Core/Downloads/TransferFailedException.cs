using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Http;

namespace Dypls.Downloads
{
    /// <summary>A failed download attempt, before the row's context is added.</summary>
    [SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Never escapes the save engine (it becomes the row's DyplsException); the short name reads as the attempt's outcome.")]
    internal sealed class TransferFailedException : Exception
    {
        public TransferFailedException(string errorId, string message, bool transient, bool restart = false, bool accessDenied = false, bool expired = false, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Transient = transient;
            Restart = restart;
            AccessDenied = accessDenied;
            Expired = expired;
        }

        public string ErrorId { get; }

        /// <summary>Worth another attempt (resuming what was saved).</summary>
        public bool Transient { get; }

        /// <summary>What was saved cannot be continued: start the partial file over.</summary>
        public bool Restart { get; }

        /// <summary>HTTP 403: the URL was refused; when it has expired, a fresh URL may help.</summary>
        public bool AccessDenied { get; }

        /// <summary>The 403 said the URL has expired ("Request has expired").</summary>
        public bool Expired { get; }
    }
}
