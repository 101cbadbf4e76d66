using System;
using System.IO;

namespace Dypls.Credentials
{
    /// <summary>Reads a credentials file; an unreadable file is a clear error that names it but never quotes it (it holds secrets).</summary>
    internal static class CredentialFileText
    {
        /// <summary>Null when the file does not exist.</summary>
        public static string? ReadOrNull(string path, string whatItIs)
        {
            if (!File.Exists(path)) return null;
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new CredentialException(CredentialErrorIds.InvalidCredentialFile, $"The {whatItIs} {path} could not be read: {ex.GetType().Name}.");
            }
        }
    }
}
