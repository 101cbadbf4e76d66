using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;

namespace Dypls.Commands
{
    /// <summary>Save-DyplsRecording's progress bar and closing line.</summary>
    internal sealed class SaveProgress
    {
        private const string Activity = "Saving recordings";
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly int _id = new Random().Next(1, int.MaxValue);
        private long _lastMs = -1000;

        /// <summary>A new record when one is due: a few a second at most, as a chatty bar slows Windows PowerShell 5.1 badly.</summary>
        public bool Due(out ProgressRecord record, int seen, int inFlight, long bytes)
        {
            record = null!;
            if (_clock.ElapsedMilliseconds - _lastMs < 250) return false;
            record = Now(seen, inFlight, bytes);
            return true;
        }

        /// <summary>The last word before the bar closes (everything is done), then the close.</summary>
        public IEnumerable<ProgressRecord> Last(int seen, long bytes)
        {
            yield return Now(seen, 0, bytes);
            yield return new ProgressRecord(_id, Activity, "Done") { RecordType = ProgressRecordType.Completed };
        }

        public string Summary(int seen, long bytes) =>
            string.Format(CultureInfo.InvariantCulture, "{0} rows, {1} transferred in {2:0.0} s.", seen, Size(bytes), _clock.Elapsed.TotalSeconds);

        private ProgressRecord Now(int seen, int inFlight, long bytes)
        {
            var now = _clock.ElapsedMilliseconds;
            _lastMs = now;
            var done = seen - inFlight;
            var rate = now > 0 ? bytes / (now / 1000.0) : 0;
            return new ProgressRecord(_id, Activity,
                string.Format(CultureInfo.CurrentCulture, "{0} of {1} done, {2}, {3}/s", done, seen, Size(bytes), Size((long)rate)))
            {
                PercentComplete = seen == 0 ? 0 : Math.Min(100, done * 100 / seen),
            };
        }

        private static string Size(long bytes)
        {
            if (bytes < 1024) return bytes + " B";
            if (bytes < 1024 * 1024) return (bytes / 1024.0).ToString("0.0", CultureInfo.CurrentCulture) + " KB";
            if (bytes < 1024L * 1024 * 1024) return (bytes / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture) + " MB";
            return (bytes / 1073741824.0).ToString("0.00", CultureInfo.CurrentCulture) + " GB";
        }
    }
}
