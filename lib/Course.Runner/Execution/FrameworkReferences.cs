using Microsoft.CodeAnalysis;

namespace Course.Runner.Execution;

/// <summary>Compile-time references to the whole shared framework, so cells can use any BCL namespace (sockets, processes, JSON) without #r, as in Polyglot.</summary>
public static class FrameworkReferences
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Paths = new(FindFrameworkAssemblies);
    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
        Paths.Value.Values.Order(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList());

    /// <summary>Metadata references for every assembly of Microsoft.NETCore.App the runner runs on.</summary>
    public static IReadOnlyList<MetadataReference> All => References.Value;

    /// <summary>True when a simple assembly name (e.g. "System.Net.Http") belongs to the shared framework.</summary>
    public static bool Contains(string assemblyName) => Paths.Value.ContainsKey(assemblyName);

    private static IReadOnlyDictionary<string, string> FindFrameworkAssemblies()
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        // The host's trusted list also holds the app's own dependencies (Roslyn, xunit); only the framework folder is wanted.
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string)?.Split(Path.PathSeparator) ?? [];
        var candidates = trusted.Length > 0 ? trusted : Directory.GetFiles(runtimeDirectory, "*.dll");
        foreach (var path in candidates)
        {
            if (string.Equals(Path.GetDirectoryName(path), runtimeDirectory, StringComparison.OrdinalIgnoreCase)
                && path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && IsManaged(path))
            {
                result[Path.GetFileNameWithoutExtension(path)] = path;
            }
        }

        return result;
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
            return reader.HasMetadata;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
