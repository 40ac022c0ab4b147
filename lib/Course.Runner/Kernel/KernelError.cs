using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Kernel;

/// <summary>A failed cell as a Jupyter error output wants it: a name, a message and traceback lines.</summary>
/// <param name="Name">The exception's type name (without namespace), <c>CompilationError</c>, or <c>CommandFailed</c> for a kernel message.</param>
/// <param name="Message">The exception's message; for a compilation error, the compiler's lines.</param>
/// <param name="Traceback">The lines to show: the exception's text without the kernel's own frames, or the compiler's lines.</param>
internal sealed partial record KernelError(string Name, string Message, IReadOnlyList<string> Traceback)
{
    /// <summary>The name given to a cell that does not compile.</summary>
    public const string CompilationError = "CompilationError";

    /// <summary>True when the cell did not compile (the compiler's lines are in <see cref="Traceback"/>).</summary>
    public bool IsCompilation => Name == CompilationError;

    /// <summary>Reads a <see cref="CommandFailed"/> that came over the wire.</summary>
    /// <remarks>
    /// Only its message travels (the envelope leaves the exception out): the C# kernel sends the compiler's diagnostics,
    /// one "(line,column): error CSnnnn: …" per line, or the exception's ToString(), whose first line is "Full.Type.Name: message".
    /// </remarks>
    public static KernelError From(CommandFailed failed)
    {
        var text = (failed.Message ?? "").Replace("\r\n", "\n");
        if (CompilerLine().IsMatch(text))
        {
            // "(2,9): error CS0103: ..." becomes "line 2, column 9: error CS0103: ...", counted within the cell as the learner sees it.
            var lines = CompilerPosition().Replace(text, "line $1, column $2: ");
            return new KernelError(CompilationError, lines, [.. lines.Split('\n')]);
        }

        // The kernel's and Roslyn's own frames say nothing about the notebook; keep the cell's frames and the library's.
        var traceback = text.Split('\n')
            .Where(l => !l.TrimStart().StartsWith("at Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at Microsoft.DotNet.Interactive.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at System.Threading.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at System.Runtime.CompilerServices.", StringComparison.Ordinal)
                        && !l.Contains("--- End of stack trace from previous location ---", StringComparison.Ordinal))
            .ToList();
        var thrown = ExceptionHead().Match(text);
        if (!thrown.Success)
        {
            return new KernelError("CommandFailed", text, traceback);
        }

        // A wrapper (await of a faulted task, reflection) names the exception the cell threw after its " ---> ".
        var start = thrown;
        while (start.Groups["type"].Value is "System.AggregateException" or "System.Reflection.TargetInvocationException"
               && text.IndexOf(" ---> ", start.Index, StringComparison.Ordinal) is var inner and >= 0
               && ExceptionHead().Match(text, inner + " ---> ".Length) is { Success: true } next
               && next.Index == inner + " ---> ".Length)
        {
            start = next;
        }

        var type = start.Groups["type"].Value;
        var name = type[(type.LastIndexOfAny(['.', '+']) + 1)..];
        var messageStart = start.Index + start.Length;
        var messageEnd = new[] { "\n ---> ", " ---> ", "\n   at ", "\n   --- End of inner exception stack trace ---" }
            .Select(marker => text.IndexOf(marker, messageStart, StringComparison.Ordinal))
            .Where(i => i >= 0)
            .DefaultIfEmpty(text.Length)
            .Min();
        return new KernelError(name, text[messageStart..messageEnd], traceback);
    }

    [GeneratedRegex(@"\((\d+),(\d+)\): ")]
    private static partial Regex CompilerPosition();

    [GeneratedRegex(@"^\(\d+,\d+\): error [A-Z]+\d+", RegexOptions.Multiline)]
    private static partial Regex CompilerLine();

    // Exception.ToString() starts with the type's full name (a namespace, or "Submission#0+" for a type declared in a cell).
    [GeneratedRegex(@"\G(?<type>[A-Za-z_][\w`]*(?:[.+#][\w`]+)+): ")]
    private static partial Regex ExceptionHead();
}
