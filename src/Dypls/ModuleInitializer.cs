using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Dypls
{
    /// <summary>
    /// Windows PowerShell 5.1 has no binding redirects for a module's dependencies (System.Text.Json pulls
    /// in System.Memory and friends at versions that disagree with each other), so resolve them from the
    /// module folder whatever version is asked for. PowerShell 7 uses its own newer copies and skips this.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        private static readonly HashSet<string> Dependencies = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        public void OnImport()
        {
            if (!RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal)) return;
            foreach (var dll in Directory.GetFiles(ModuleDirectory, "*.dll"))
            {
                Dependencies.Add(Path.GetFileNameWithoutExtension(dll));
            }
            AppDomain.CurrentDomain.AssemblyResolve += Resolve;
        }

        public void OnRemove(PSModuleInfo module)
        {
            AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
        }

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            if (name is null || !Dependencies.Contains(name)) return null;
            var path = Path.Combine(ModuleDirectory, name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
