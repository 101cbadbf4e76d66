using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Dypls.Loading
{
    /// <summary>
    /// Answers AssemblyResolve for the module's own dependencies in Windows PowerShell 5.1, which has no binding
    /// redirects for a module (System.Text.Json asks for System.Memory, System.Buffers, … at versions that disagree
    /// with each other and with the copies we ship). It answers only for names the module ships; only with a version
    /// at least the one asked for (and the same public key, when one is asked for); and it prefers a copy already loaded
    /// (another module's, say) over loading a second one from the module folder.
    /// </summary>
    internal sealed class DependencyResolver
    {
        private readonly string _directory;
        private readonly HashSet<string> _names;
        private readonly Func<IEnumerable<Assembly>> _loadedAssemblies;
        private readonly Func<string, AssemblyName?> _readName;
        private readonly Func<string, Assembly> _loadFrom;

        /// <param name="directory">The module folder.</param>
        /// <param name="names">Simple names of the assemblies the module ships as its dependencies.</param>
        public DependencyResolver(string directory, IEnumerable<string> names)
            : this(directory, names, () => AppDomain.CurrentDomain.GetAssemblies(), TryReadName, Assembly.LoadFrom)
        {
        }

        internal DependencyResolver(string directory, IEnumerable<string> names, Func<IEnumerable<Assembly>> loadedAssemblies,
            Func<string, AssemblyName?> readName, Func<string, Assembly> loadFrom)
        {
            _directory = directory;
            _names = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
            _loadedAssemblies = loadedAssemblies;
            _readName = readName;
            _loadFrom = loadFrom;
        }

        /// <summary>The names answered for.</summary>
        public IReadOnlyCollection<string> Names => _names;

        /// <summary>The dependencies in a module folder: every assembly there but the module's own.</summary>
        public static DependencyResolver ForModuleFolder(string directory, string moduleAssemblyName)
        {
            var names = Directory.GetFiles(directory, "*.dll")
                .Select(Path.GetFileNameWithoutExtension)
                .Where(n => !string.Equals(n, moduleAssemblyName, StringComparison.OrdinalIgnoreCase));
            return new DependencyResolver(directory, names);
        }

        /// <summary>The assembly to use for <paramref name="requestedName"/> (a full assembly name), or null to let others answer.</summary>
        public Assembly? Resolve(string requestedName)
        {
            AssemblyName requested;
            try
            {
                requested = new AssemblyName(requestedName);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FileLoadException)
            {
                return null;
            }
            var name = requested.Name;
            if (string.IsNullOrEmpty(name) || !_names.Contains(name!)) return null;

            Assembly? best = null;
            Version? bestVersion = null;
            foreach (var assembly in _loadedAssemblies())
            {
                AssemblyName loaded;
                try { loaded = assembly.GetName(); }
                catch (Exception ex) when (ex is NotSupportedException || ex is InvalidOperationException) { continue; }
                if (!Fits(loaded, requested)) continue;
                if (bestVersion == null || loaded.Version > bestVersion)
                {
                    best = assembly;
                    bestVersion = loaded.Version;
                }
            }
            if (best != null) return best;

            var path = Path.Combine(_directory, name + ".dll");
            var onDisk = _readName(path);
            return onDisk != null && Fits(onDisk, requested) ? _loadFrom(path) : null;
        }

        private static bool Fits(AssemblyName candidate, AssemblyName requested)
        {
            if (!string.Equals(candidate.Name, requested.Name, StringComparison.OrdinalIgnoreCase)) return false;
            var wanted = requested.Version;
            if (wanted != null && (candidate.Version == null || candidate.Version < wanted)) return false;
            var wantedKey = requested.GetPublicKeyToken();
            if (wantedKey != null && wantedKey.Length > 0)
            {
                var key = candidate.GetPublicKeyToken();
                if (key == null || !key.SequenceEqual(wantedKey)) return false;
            }
            return true;
        }

        private static AssemblyName? TryReadName(string path)
        {
            if (!File.Exists(path)) return null;
            try
            {
                return AssemblyName.GetAssemblyName(path);
            }
            catch (Exception ex) when (ex is BadImageFormatException || ex is IOException || ex is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
