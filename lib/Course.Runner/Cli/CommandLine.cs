using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Course.Runner.Cli;

/// <summary>The course CLI: `course &lt;verb&gt; [options]` parsed by System.CommandLine, with the course's exit codes and error messages.</summary>
public static class CommandLine
{
    /// <summary>The exit code after a failed chapter or a problem with the user's files.</summary>
    public const int FailedExitCode = 1;

    /// <summary>The exit code for a command line the runner cannot accept.</summary>
    public const int UsageExitCode = 2;

    /// <summary>The exit code after Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int CancelledExitCode = 130;

    /// <summary>The program's name in help texts.</summary>
    public const string RootName = "course";

    /// <summary>The message printed when a command stops because of Ctrl+C or SIGTERM.</summary>
    public const string CancelledMessage = "course: cancelled.";

    /// <summary>Every verb of this assembly: `run` first (the main job), then the others by name; a new verb is one class implementing <see cref="ICommand"/>.</summary>
    public static IReadOnlyList<ICommand> DefaultCommands() =>
        typeof(ICommand).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(ICommand).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ICommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name == "run" ? 0 : 1)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The root command with every verb built for this context.</summary>
    public static Command Build(CommandContext context, IReadOnlyList<ICommand>? commands = null)
    {
        // A plain Command named "course" rather than RootCommand, whose name would be the host's (dotnet, testhost) in help texts.
        var root = new Command(RootName, "Address already in use: the course runner. Runs the chapter notebooks and offers the instructor's tools.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        foreach (var command in commands ?? DefaultCommands())
        {
            root.Subcommands.Add(command.Create(context));
        }

        return root;
    }

    /// <summary>Parses the arguments, runs the verb and returns the exit code: 0 ok, 1 failed, 2 bad command line, 130 cancelled.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context, IReadOnlyList<ICommand>? commands = null)
    {
        var root = Build(context, commands);
        var parsed = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            // The runner handles exceptions itself (exit codes 1, 2, 130) and Ctrl+C/SIGTERM in Program.cs.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };

        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            ReportParseErrors(parsed, context);
            return UsageExitCode;
        }

        try
        {
            return await parsed.InvokeAsync(invocation, context.CancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine(e.Message);
            context.Error.WriteLine($"Run `course {VerbPath(parsed)} --help` for the options.");
            return UsageExitCode;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine(CancelledMessage);
            return CancelledExitCode;
        }
        catch (CourseException e)
        {
            context.Error.WriteLine(e.Message);
            return FailedExitCode;
        }
    }

    private static void ReportParseErrors(ParseResult parsed, CommandContext context)
    {
        var verb = parsed.CommandResult.Command;
        // `course frobnicate` is one mistake, an unknown command: not also "no command given".
        var unknown = parsed.Errors.Any(e => e.Message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal));
        foreach (var error in parsed.Errors.Where(e => !(unknown && e.Message.StartsWith("Required command was not provided", StringComparison.Ordinal))))
        {
            context.Error.WriteLine(Explain(error.Message, verb));
        }

        context.Error.WriteLine();
        // The verb's own help says what it accepts; System.CommandLine writes it to the configured output, so point that at stderr.
        var helpParse = parsed.RootCommandResult.Command.Parse(IsRoot(verb) ? ["--help"] : [.. VerbPath(parsed).Split(' '), "--help"]);
        helpParse.Invoke(new InvocationConfiguration { Output = context.Error, Error = context.Error });
    }

    private static string Explain(string message, Command verb)
    {
        // System.CommandLine says "Unrecognized command or argument 'x'"; name the course's own fix as well.
        if (IsRoot(verb) && message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
        {
            var word = message.Split('\'').ElementAtOrDefault(1) ?? "";
            return word.StartsWith('-')
                ? $"Unknown option {word}. Fix: put a command first, e.g. `course run {word}`."
                : $"Unknown command {word}. Fix: use one of the commands listed below.";
        }

        if (IsRoot(verb) && message.StartsWith("Required command was not provided", StringComparison.Ordinal))
        {
            return "No command given. Fix: name one of the commands listed below, e.g. `course run`.";
        }

        if (message.StartsWith("Option '", StringComparison.Ordinal) && message.EndsWith("' is required.", StringComparison.Ordinal))
        {
            return $"{verb.Name} needs {message.Split('\'')[1]}. See its options below.";
        }

        if (message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
        {
            var word = message.Split('\'').ElementAtOrDefault(1) ?? "";
            return word.StartsWith('-') ? $"Unknown option {word}." : $"Unexpected argument {word}.";
        }

        return message;
    }

    private static bool IsRoot(Command command) => command.Parents.FirstOrDefault() is null;

    private static string VerbPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null && !IsRoot(result.Command); result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
