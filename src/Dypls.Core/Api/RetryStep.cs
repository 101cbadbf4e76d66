using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Api
{
    /// <summary>What to do after a failed attempt.</summary>
    internal readonly struct RetryStep
    {
        private RetryStep(bool giveUp, TimeSpan delay, bool counted, Exception? replacement)
        {
            GiveUp = giveUp;
            Delay = delay;
            Counted = counted;
            Replacement = replacement;
        }

        public bool GiveUp { get; }
        public TimeSpan Delay { get; }

        /// <summary>False when the failure was not the attempt's fault (an expired URL, say): it does not use up an attempt.</summary>
        public bool Counted { get; }

        /// <summary>The exception to throw instead of the attempt's own when giving up; null rethrows the original.</summary>
        public Exception? Replacement { get; }

        public static RetryStep Stop(Exception? replacement = null) => new RetryStep(true, TimeSpan.Zero, true, replacement);

        public static RetryStep After(TimeSpan delay) => new RetryStep(false, delay, true, null);

        public static RetryStep Uncounted(TimeSpan delay) => new RetryStep(false, delay, false, null);
    }
}
