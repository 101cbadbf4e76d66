using System.Reflection;
using System.Text.Json;
using Dypls.Loading;

namespace Dypls.Core.Tests.Loading;

/// <summary>
/// The AssemblyResolve answer of Windows PowerShell 5.1: only the module's own names, only a version at least the
/// one asked for, a loaded copy first. Runs on both lanes; on net472 it is the runtime the handler is for.
/// </summary>
public class DependencyResolverTests
{
    private const string StjToken = "cc7b13ffcd2ddd51";
    private static readonly Assembly Stj = typeof(JsonSerializer).Assembly;
    private static readonly Version StjVersion = Stj.GetName().Version!;

    private sealed class Probe
    {
        public List<string> LoadedFrom { get; } = new();
        public Dictionary<string, AssemblyName> OnDisk { get; } = new(StringComparer.OrdinalIgnoreCase);
        public List<Assembly> Loaded { get; } = new();

        public DependencyResolver Resolver(params string[] names) => new("/module", names, () => Loaded,
            path => OnDisk.TryGetValue(Path.GetFileNameWithoutExtension(path), out var n) ? n : null,
            path => { LoadedFrom.Add(path); return Stj; });
    }

    private static string Name(string name, string version, string? token = StjToken) =>
        $"{name}, Version={version}, Culture=neutral, PublicKeyToken={token ?? "null"}";

    [Fact]
    public void Answers_only_for_the_modules_own_names()
    {
        var p = new Probe();
        p.Loaded.Add(Stj);
        p.OnDisk["Newtonsoft.Json"] = new AssemblyName(Name("Newtonsoft.Json", "13.0.0.0", "30ad4fe6b2a6aeed"));
        var r = p.Resolver("System.Text.Json");
        Assert.Null(r.Resolve(Name("Newtonsoft.Json", "13.0.0.0", "30ad4fe6b2a6aeed")));
        Assert.Null(r.Resolve("not a valid, name=="));
        Assert.Empty(p.LoadedFrom);
        Assert.Same(Stj, r.Resolve(Name("system.text.json", "1.0.0.0")));
    }

    [Fact]
    public void Prefers_a_copy_already_loaded()
    {
        var p = new Probe();
        p.Loaded.Add(typeof(object).Assembly);
        p.Loaded.Add(Stj);
        p.OnDisk["System.Text.Json"] = new AssemblyName(Name("System.Text.Json", StjVersion.ToString()));
        var r = p.Resolver("System.Text.Json");
        Assert.Same(Stj, r.Resolve(Name("System.Text.Json", "4.0.1.0")));
        Assert.Empty(p.LoadedFrom);
    }

    [Fact]
    public void Never_answers_with_an_older_version_than_asked_for()
    {
        var p = new Probe();
        p.Loaded.Add(Stj);
        p.OnDisk["System.Text.Json"] = new AssemblyName(Name("System.Text.Json", StjVersion.ToString()));
        var r = p.Resolver("System.Text.Json");
        var newer = new Version(StjVersion.Major + 1, 0, 0, 0).ToString();
        Assert.Null(r.Resolve(Name("System.Text.Json", newer)));
        Assert.Empty(p.LoadedFrom);
        Assert.Same(Stj, r.Resolve(Name("System.Text.Json", StjVersion.ToString())));
    }

    [Fact]
    public void Loads_the_module_folder_copy_when_none_is_loaded_and_it_is_new_enough()
    {
        var p = new Probe();
        p.OnDisk["System.Memory"] = new AssemblyName(Name("System.Memory", "4.0.1.2", "cc7b13ffcd2ddd51"));
        var r = p.Resolver("System.Memory");
        Assert.NotNull(r.Resolve(Name("System.Memory", "4.0.1.1")));
        Assert.Equal(new[] { Path.Combine("/module", "System.Memory.dll") }, p.LoadedFrom);

        Assert.Null(r.Resolve(Name("System.Memory", "4.0.2.0")));
        Assert.Single(p.LoadedFrom);
    }

    [Fact]
    public void A_different_public_key_is_not_the_same_assembly()
    {
        var p = new Probe();
        p.OnDisk["System.Memory"] = new AssemblyName(Name("System.Memory", "4.0.1.2", "0123456789abcdef"));
        Assert.Null(p.Resolver("System.Memory").Resolve(Name("System.Memory", "4.0.1.1")));
        Assert.Empty(p.LoadedFrom);
    }

    [Fact]
    public void A_missing_file_is_no_answer()
    {
        var p = new Probe();
        Assert.Null(p.Resolver("System.Buffers").Resolve(Name("System.Buffers", "4.0.3.0")));
        Assert.Empty(p.LoadedFrom);
    }

    [Fact]
    public void The_module_folder_lists_its_dependencies_but_not_the_module()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dypls-resolver-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var n in new[] { "Dypls.dll", "Dypls.Core.dll", "System.Text.Json.dll", "readme.txt" }) File.WriteAllText(Path.Combine(dir, n), "");
            var r = DependencyResolver.ForModuleFolder(dir, "Dypls");
            Assert.Equal<string>(["Dypls.Core", "System.Text.Json"], r.Names.OrderBy(n => n, StringComparer.Ordinal));
            // The copy this process has loaded wins over the (here empty) file in the folder.
            Assert.Same(Stj, r.Resolve(Name("System.Text.Json", StjVersion.ToString())));
            // None loaded that fits, and the file is not an assembly: no answer, no exception.
            Assert.Null(r.Resolve(Name("Dypls.Core", "99.0.0.0", null)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public class RuntimeCompatibilityTests
{
    [Fact]
    public void The_core_loads_everything_it_references_here()
    {
        Assert.Null(RuntimeCompatibility.Check(typeof(RuntimeCompatibility).Assembly));
    }

    [Fact]
    public void A_runtime_with_an_older_System_Text_Json_gets_one_clear_message()
    {
        // PowerShell 7.2 (.NET 6) has System.Text.Json 6.0.0.0 in its platform; asking it for 8.0.0.0 fails to load.
        var reference = new AssemblyName("System.Text.Json, Version=8.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51");
        var message = RuntimeCompatibility.Check(new[] { reference },
            _ => throw new FileLoadException("Could not load file or assembly 'System.Text.Json, Version=8.0.0.0'. The located assembly's manifest definition does not match the assembly reference."),
            _ => new Version(6, 0, 0, 0));
        Assert.NotNull(message);
        Assert.StartsWith("Dypls needs PowerShell 7.4 or later, or Windows PowerShell 5.1.", message);
        Assert.Contains("System.Text.Json 6.0.0.0", message);
        Assert.Contains("System.Text.Json 8.0.0.0", message);
    }

    [Fact]
    public void A_loaded_copy_older_than_referenced_is_caught_too()
    {
        // A lenient loader (Mono, for one) may hand back an older copy instead of failing.
        var reference = new AssemblyName("System.Text.Json, Version=99.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51");
        var message = RuntimeCompatibility.Check(new[] { reference }, _ => typeof(System.Text.Json.JsonSerializer).Assembly, _ => null);
        Assert.NotNull(message);
        Assert.StartsWith(RuntimeCompatibility.Requirement, message);
    }

    [Fact]
    public void What_this_runtime_does_with_a_reference_it_cannot_satisfy()
    {
        // The real loader, asked for a System.Text.Json from the future: either it refuses, or it hands back an older
        // copy; both are caught.
        var reference = new AssemblyName("System.Text.Json, Version=99.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51");
        var message = RuntimeCompatibility.Check(new[] { reference }, n => Assembly.Load(n), RuntimeCompatibility.PlatformVersionOf);
        Assert.NotNull(message);
        Assert.StartsWith(RuntimeCompatibility.Requirement, message);
    }
}
