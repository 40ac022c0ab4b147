using System.Text.RegularExpressions;

namespace Course.Runner.Execution;

/// <summary>Checks a cell's #r and #i lines before the kernel sees them, so that the two mistakes learners make get the course's clear message.</summary>
/// <remarks>
/// The kernel itself runs every line (magics such as #!time and #!set included); this only catches a missing
/// dll (the kernel would say "could not find file" without naming the fix) and a NuGet reference in a run that
/// must work offline (the kernel would wait for the network).
/// </remarks>
public static partial class CellDirectives
{
    /// <summary>The environment variable that lets #r "nuget:" and #i lines through to the kernel (for a machine that is online).</summary>
    public const string AllowNuGetVariable = "COURSE_ALLOW_NUGET";

    /// <summary>Whether NuGet references are passed to the kernel (COURSE_ALLOW_NUGET=1); by default the run is offline.</summary>
    public static bool NuGetAllowed => Environment.GetEnvironmentVariable(AllowNuGetVariable) is "1" or "true";

    /// <summary>Throws a clear error for a #r that points to no file, or a NuGet reference when the run is offline.</summary>
    /// <param name="source">The cell source.</param>
    /// <param name="cellLabel">How messages name the cell, e.g. "code cell 3 (id abc)".</param>
    /// <param name="notebookDirectory">The folder relative #r paths resolve against.</param>
    /// <param name="allowNuGet">Whether #r "nuget:" and #i lines may go to the kernel.</param>
    /// <exception cref="CourseException">The line, what is wrong and the fix.</exception>
    public static void Check(string source, string cellLabel, string notebookDirectory, bool allowNuGet)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            var lineNumber = i + 1;
            if (!allowNuGet && (trimmed.StartsWith("#i ", StringComparison.Ordinal) || trimmed == "#i"))
            {
                throw new CourseException(
                    $"{cellLabel}, line {lineNumber}: `{trimmed}` adds a NuGet package source, and the course runs offline. "
                    + $"Fix: remove the line and reference built assemblies with #r \"path/to/library.dll\" (or set {AllowNuGetVariable}=1 on a machine that is online).");
            }

            var match = ReferencePattern().Match(trimmed);
            if (!match.Success)
            {
                continue;
            }

            var path = match.Groups["path"].Value;
            if (path.TrimStart().StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
            {
                if (!allowNuGet)
                {
                    throw new CourseException(
                        $"{cellLabel}, line {lineNumber}: `{trimmed}` asks for a NuGet package, and the course runs offline (no package is downloaded during a run). "
                        + "Fix: reference the course library instead, e.g. #r \"../lib/bin/AddressInUse.dll\" (build it with: dotnet build lib/AddressInUse), "
                        + $"add the package to that library, or set {AllowNuGetVariable}=1 on a machine that is online.");
                }

                continue;
            }

            var looksLikeFile = path.Contains('/') || path.Contains('\\')
                                || path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                                || path.EndsWith(".exe", StringComparison.OrdinalIgnoreCase);
            if (!looksLikeFile)
            {
                continue; // An assembly name (#r "System.Net.Http"): the kernel resolves it.
            }

            var resolved = Path.GetFullPath(Path.Combine(notebookDirectory, path));
            if (!File.Exists(resolved))
            {
                throw new CourseException(
                    $"{cellLabel}, line {lineNumber}: #r \"{path}\" points to {resolved}, which does not exist "
                    + $"(#r paths are relative to the notebook's folder {notebookDirectory}). "
                    + "Fix: build the library first: dotnet build (at the repository root, or dotnet build lib/AddressInUse), or correct the path.");
            }
        }
    }

    [GeneratedRegex("^#r\\s+\"(?<path>[^\"]+)\"\\s*(//.*)?$")]
    private static partial Regex ReferencePattern();
}
