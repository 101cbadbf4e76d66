using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Dypls.Loading
{
    /// <summary>
    /// Whether this runtime can load what the module was built against. PowerShell 7.2 and 7.3 run on .NET 6 and 7,
    /// whose own System.Text.Json (6.0, 7.0) wins over the module's copy and is older than the 8.0 the module
    /// references: without this check the import "works" and the first row fails with a loader exception.
    /// Decided by trying the load, not by reading version numbers of PowerShell.
    /// </summary>
    internal static class RuntimeCompatibility
    {
        /// <summary>What to tell the user; names the versions that hold today (System.Text.Json 8.0 = .NET 8 = PowerShell 7.4).</summary>
        public const string Requirement = "Dypls needs PowerShell 7.4 or later, or Windows PowerShell 5.1.";

        /// <summary>Null when every assembly <paramref name="assembly"/> references loads; otherwise one clear message.</summary>
        public static string? Check(Assembly assembly) =>
            Check(assembly.GetReferencedAssemblies(), name => Assembly.Load(name), PlatformVersionOf);

        internal static string? Check(IEnumerable<AssemblyName> references, Func<AssemblyName, Assembly> load, Func<string, Version?> platformVersion)
        {
            foreach (var reference in references)
            {
                try
                {
                    var loaded = load(reference);
                    var version = loaded.GetName().Version;
                    if (reference.Version != null && version != null && version < reference.Version)
                    {
                        return Message(reference, version.ToString(), null);
                    }
                }
                catch (Exception ex) when (ex is FileLoadException || ex is FileNotFoundException || ex is BadImageFormatException)
                {
                    var found = reference.Name is null ? null : platformVersion(reference.Name);
                    return Message(reference, found?.ToString(), ex);
                }
            }
            return null;
        }

        private static string Message(AssemblyName reference, string? found, Exception? ex) =>
            $"{Requirement} This one (PowerShell on .NET {Environment.Version}) has {reference.Name} {found ?? "in an older version"}, " +
            $"and Dypls is built against {reference.Name} {reference.Version}." +
            (ex is null ? string.Empty : $" ({ex.GetType().Name}: {ex.Message})");

        /// <summary>The version of a runtime-provided assembly (.NET's trusted platform assemblies), or null.</summary>
        internal static Version? PlatformVersionOf(string name)
        {
            if (!(AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)) return null;
            var path = list.Split(Path.PathSeparator)
                .FirstOrDefault(p => string.Equals(Path.GetFileNameWithoutExtension(p), name, StringComparison.OrdinalIgnoreCase));
            if (path is null) return null;
            try
            {
                return AssemblyName.GetAssemblyName(path).Version;
            }
            catch (Exception ex) when (ex is BadImageFormatException || ex is IOException || ex is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
