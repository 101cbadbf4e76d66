using System;
using System.IO;
using System.Management.Automation;

namespace Dypls.Commands
{
    /// <summary>Save-DyplsRecording's -Destination, resolved through PowerShell's providers (relative paths, PSDrives).</summary>
    internal static class DestinationFolder
    {
        /// <summary>-Destination as a full file-system path (the current location when not given); a bad one ends the run.</summary>
        public static string Resolve(PSCmdlet cmdlet, string? destination)
        {
            string path;
            try
            {
                path = string.IsNullOrEmpty(destination)
                    ? cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath
                    : cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(destination, out var provider, out _) is var p && provider.Name == "FileSystem"
                        ? p
                        : throw new PSArgumentException($"-Destination '{destination}' is not a file system path.");
            }
            catch (Exception ex) when (ex is PSArgumentException || ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is NotSupportedException)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "InvalidDestination", ErrorCategory.InvalidArgument, destination));
                throw; // not reached
            }
            path = Path.GetFullPath(path);
            if (File.Exists(path))
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new DyplsException("DestinationNotAFolder", $"-Destination '{path}' is a file; give a folder (it is created when missing)."),
                    "DestinationNotAFolder", ErrorCategory.InvalidArgument, destination));
            }
            return path;
        }
    }
}
