using System;

namespace Dypls
{
    /// <summary>Base of every error Dypls raises on purpose. ErrorId is stable: users match on it.</summary>
    public class DyplsException : Exception
    {
        public DyplsException(string errorId, string message, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
        }

        public string ErrorId { get; }
    }
}
