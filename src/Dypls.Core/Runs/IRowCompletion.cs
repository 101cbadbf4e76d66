using System;
using Dypls.Models;

namespace Dypls.Runs
{
    /// <summary>Hears once how a row of a save run ended (on a worker thread). Receipts are acknowledged through it.</summary>
    internal interface IRowCompletion
    {
        /// <summary>The recording is durable at its final name.</summary>
        void Durable(SavedRecording saved);

        /// <summary>The row failed with <paramref name="error"/>, or was cancelled (null).</summary>
        void Failed(Exception? error);
    }
}
