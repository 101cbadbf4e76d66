using System;

namespace Dypls
{
    /// <summary>Base of every error Dypls raises on purpose. ErrorId is stable: users match on it.</summary>
    public class DyplsException : Exception
    {
        public DyplsException(string errorId, string message, Exception? inner = null, bool stopsRun = false, FailureCategory category = FailureCategory.NotSpecified)
            : base(message, inner)
        {
            ErrorId = errorId;
            StopsRun = stopsRun;
            Category = category;
        }

        public string ErrorId { get; }

        /// <summary>
        /// True when every other row would fail the same way (credentials, a denied action, a full disk, an unwritable
        /// destination): the run stops once with this error instead of repeating it per row.
        /// </summary>
        public virtual bool StopsRun { get; }

        /// <summary>What kind of failure this is (the ErrorRecord's category).</summary>
        public virtual FailureCategory Category { get; }

        /// <summary>
        /// The same error told about one row: <paramref name="who"/> (such as "CallId 'x'") goes before the message; the
        /// ErrorId, the category, whether it stops the run and the cause are kept.
        /// </summary>
        public DyplsException About(string who) => new DyplsException(ErrorId, $"{who}: {Message}", InnerException, StopsRun, Category);
    }
}
