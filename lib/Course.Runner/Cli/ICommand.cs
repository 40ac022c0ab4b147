using System.CommandLine;

namespace Course.Runner.Cli;

/// <summary>Where a command writes and what cancels it.</summary>
/// <param name="Out">Normal output (progress, tables).</param>
/// <param name="Error">Warnings and errors.</param>
/// <param name="CurrentDirectory">The folder the command was started from (used to find the repository).</param>
/// <param name="CancellationToken">Cancelled by Ctrl+C or SIGTERM.</param>
public sealed record CommandContext(TextWriter Out, TextWriter Error, string CurrentDirectory, CancellationToken CancellationToken)
{
    /// <summary>True when <see cref="Out"/> is a person's terminal (live progress bar, coloured table); false in CI, pipes and tests (plain lines).</summary>
    public bool Interactive { get; init; }
}

/// <summary>One verb of the course CLI (run, lint, nav, observe, demo-server, …); a class implementing it with a parameterless constructor is found and offered by <see cref="CommandLine"/>.</summary>
public interface ICommand
{
    /// <summary>The word that selects the verb, e.g. "run".</summary>
    string Name { get; }

    /// <summary>Builds the verb's System.CommandLine command: its description, options and the action that runs it with the context.</summary>
    /// <remarks>The action returns the exit code; it throws <see cref="UsageException"/> for a value the parser could not judge (exit code 2) and <see cref="CourseException"/> for input the user can fix (exit code 1).</remarks>
    Command Create(CommandContext context);
}
