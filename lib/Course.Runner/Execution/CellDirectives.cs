using System.Text;
using System.Text.RegularExpressions;

namespace Course.Runner.Execution;

/// <summary>A `#r "path.dll"` line found in a cell.</summary>
/// <param name="LineNumber">The 1-based line in the cell.</param>
/// <param name="Path">The path exactly as written between the quotes.</param>
public sealed record AssemblyReferenceDirective(int LineNumber, string Path);

/// <summary>A cell's code with its directive lines blanked (so compiler line numbers still match the cell) and the #r references found.</summary>
public sealed record PreprocessedCell(string Code, IReadOnlyList<AssemblyReferenceDirective> References);

/// <summary>Handles the lines the Polyglot kernel treats specially: #r is supported, #r "nuget:", #i and #! magics are refused clearly.</summary>
public static partial class CellDirectives
{
    /// <summary>Splits #r lines from the code; refuses NuGet references and magic commands.</summary>
    /// <param name="source">The cell source.</param>
    /// <param name="cellLabel">How messages name the cell, e.g. "cell 3 (id abc)".</param>
    /// <exception cref="CourseException">A line the runner does not support; the message names the cell, the line and the fix.</exception>
    public static PreprocessedCell Preprocess(string source, string cellLabel)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var references = new List<AssemblyReferenceDirective>();
        var code = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            var lineNumber = i + 1;
            var keep = true;

            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                throw new CourseException(
                    $"{cellLabel}, line {lineNumber}: the magic command `{trimmed.TrimEnd()}` is not supported by the course runner "
                    + "(it runs every cell as C#, without the .NET Interactive magic commands). "
                    + "Fix: remove the line (for timings use System.Diagnostics.Stopwatch in the code).");
            }

            if (trimmed.StartsWith("#i ", StringComparison.Ordinal) || trimmed == "#i")
            {
                throw new CourseException(
                    $"{cellLabel}, line {lineNumber}: `{trimmed.TrimEnd()}` (a NuGet package source) is not supported by the course runner. "
                    + "Fix: remove the line and reference built assemblies with #r \"path/to/library.dll\".");
            }

            if (trimmed.StartsWith("#r", StringComparison.Ordinal) && (trimmed.Length == 2 || char.IsWhiteSpace(trimmed[2])))
            {
                var match = ReferencePattern().Match(trimmed);
                if (!match.Success)
                {
                    throw new CourseException(
                        $"{cellLabel}, line {lineNumber}: cannot read the reference `{trimmed.TrimEnd()}`. "
                        + "Fix: write it as #r \"relative/path/to/library.dll\" (the path in double quotes, relative to the notebook's folder).");
                }

                var path = match.Groups["path"].Value;
                if (path.TrimStart().StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
                {
                    throw new CourseException(
                        $"{cellLabel}, line {lineNumber}: `{trimmed.TrimEnd()}` asks for a NuGet package, which the course runner does not download. "
                        + "Fix: reference the course library instead, e.g. #r \"../lib/bin/AddressInUse.dll\" (build it with: dotnet build lib/AddressInUse), "
                        + "or add the package to that library.");
                }

                references.Add(new AssemblyReferenceDirective(lineNumber, path));
                keep = false;
            }

            if (i > 0)
            {
                code.Append('\n');
            }

            // A blank line instead of the directive keeps compiler line numbers equal to the cell's own line numbers.
            code.Append(keep ? line : "");
        }

        return new PreprocessedCell(code.ToString(), references);
    }

    [GeneratedRegex("^#r\\s+\"(?<path>[^\"]+)\"\\s*(//.*)?$")]
    private static partial Regex ReferencePattern();
}
