namespace Course.Runner.Cli;

/// <summary>The course CLI's command dispatch: `course &lt;command&gt; [options]`; new subcommands (observe, demo-server) are added to <see cref="DefaultCommands"/>.</summary>
public static class CommandLine
{
    /// <summary>The exit code for a command line the runner cannot accept.</summary>
    public const int UsageExitCode = 2;

    /// <summary>The exit code after Ctrl+C.</summary>
    public const int CancelledExitCode = 130;

    /// <summary>The commands the CLI offers.</summary>
    public static IReadOnlyList<ICommand> DefaultCommands() => [new RunCommand(), new LintCommand(), new ObserveCommand(), new NavCommand(), new DemoServerCommand(), new DiagnoseCommand()];

    /// <summary>Dispatches to the command named by the first argument and returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context, IReadOnlyList<ICommand>? commands = null)
    {
        commands ??= DefaultCommands();
        if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
        {
            var topic = args.Count > 1 ? commands.FirstOrDefault(c => c.Name == args[1]) : null;
            (args.Count == 0 ? context.Error : context.Out).Write(topic is null ? Usage(commands) : topic.Usage + "\n");
            return args.Count == 0 ? UsageExitCode : 0;
        }

        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            context.Error.WriteLine($"Unknown command {args[0]}.");
            context.Error.Write(Usage(commands));
            return UsageExitCode;
        }

        var rest = args.Skip(1).ToList();
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            context.Out.Write(command.Usage + "\n");
            return 0;
        }

        try
        {
            return await command.RunAsync(rest, context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine(e.Message);
            context.Error.WriteLine();
            context.Error.Write("usage: " + command.Usage + "\n");
            return UsageExitCode;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine("course: cancelled.");
            return CancelledExitCode;
        }
        catch (CourseException e)
        {
            context.Error.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>The general usage text listing the commands.</summary>
    public static string Usage(IReadOnlyList<ICommand> commands)
    {
        var width = commands.Max(c => c.Name.Length) + 2;
        return "usage: dotnet run --project lib/Course.Runner -- <command> [options]\n\ncommands:\n"
               + string.Concat(commands.Select(c => $"  {c.Name.PadRight(width)}{c.Summary}\n"))
               + "\n`<command> --help` shows a command's options.\n";
    }
}
