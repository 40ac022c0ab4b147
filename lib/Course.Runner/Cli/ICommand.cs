namespace Course.Runner.Cli;

/// <summary>Where a command writes and what cancels it.</summary>
/// <param name="Out">Normal output (progress, tables).</param>
/// <param name="Error">Warnings and errors.</param>
/// <param name="CurrentDirectory">The folder the command was started from (used to find the repository).</param>
/// <param name="CancellationToken">Cancelled by Ctrl+C.</param>
public sealed record CommandContext(TextWriter Out, TextWriter Error, string CurrentDirectory, CancellationToken CancellationToken);

/// <summary>A subcommand of the course CLI (run, lint, and later observe, demo-server).</summary>
public interface ICommand
{
    /// <summary>The word that selects the command, e.g. "run".</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The usage text of the command's options.</summary>
    string Usage { get; }

    /// <summary>Runs the command with the arguments after its name; returns the process exit code.</summary>
    /// <exception cref="UsageException">The arguments are not acceptable (exit code 2).</exception>
    Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context);
}
