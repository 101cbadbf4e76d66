using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using Dypls.Loading;

namespace Dypls
{
    /// <summary>
    /// Import-time set-up. Windows PowerShell 5.1 has no binding redirects for a module's dependencies
    /// (System.Text.Json pulls in System.Memory and friends at versions that disagree with each other), so a
    /// <see cref="DependencyResolver"/> answers for the assemblies in the module folder. PowerShell 7 binds through
    /// load contexts and uses its own copies. Then the import fails at once, with one clear message, where the
    /// runtime cannot load what the module needs (PowerShell 7.2 and 7.3: System.Text.Json older than 8.0).
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly object Gate = new object();
        private static DependencyResolver? _resolver;

        public void OnImport()
        {
            // Capability, not the runtime's name: a runtime with AssemblyLoadContext (.NET, PowerShell 7) binds module
            // dependencies itself; without it (.NET Framework, and Mono in our tests) nothing else will.
            var hasLoadContexts = typeof(object).Assembly.GetType("System.Runtime.Loader.AssemblyLoadContext", throwOnError: false) != null;
            if (!hasLoadContexts)
            {
                lock (Gate)
                {
                    if (_resolver == null)
                    {
                        var self = typeof(ModuleInitializer).Assembly;
                        var directory = Path.GetDirectoryName(self.Location) ?? ".";
                        _resolver = DependencyResolver.ForModuleFolder(directory, self.GetName().Name ?? "Dypls");
                        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
                    }
                }
            }

            // Dypls.Core itself needs no resolver (it sits next to Dypls.dll and references only the BCL to load);
            // its dependencies are loaded here, once, so that a runtime that cannot load them fails the import.
            var problem = RuntimeCompatibility.Check(typeof(DependencyResolver).Assembly);
            if (problem != null) throw new PSNotSupportedException(problem);
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            lock (Gate)
            {
                if (_resolver == null) return;
                AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
                _resolver = null;
            }
        }

        private static Assembly? Resolve(object? sender, ResolveEventArgs args) => _resolver?.Resolve(args.Name);
    }
}
