using System;

namespace Dypls
{
    /// <summary>Base of every error Dypls raises on purpose. ErrorId is stable: users match on it.</summary>
    public class DyplsException : Exception
    {
        public DyplsException(string errorId, string message, Exception? inner = null, bool stopsRun = false) : base(message, inner)
        {
            ErrorId = errorId;
            StopsRun = stopsRun;
        }

        public string ErrorId { get; }

        /// <summary>
        /// True when every other row would fail the same way (credentials, a denied action, a full disk, an unwritable
        /// destination): the run stops once with this error instead of repeating it per row.
        /// </summary>
        public virtual bool StopsRun { get; }
    }
}
