using System.CommandLine;
using Course.Runner.Charts;
using Course.Runner.Html;
using Course.Runner.Pipeline;

namespace Course.Runner.Cli;

/// <summary>`course run`: turns its options into a <see cref="RunPlan"/> for the main job (<see cref="CourseRun"/>) and its outcome into an exit code.</summary>
public sealed class RunCommand : ICommand
{
    private readonly CourseRun _run;

    /// <summary>Creates the command with the library's SVG exporter and plotly.js.</summary>
    public RunCommand()
        : this(null, null)
    {
    }

    /// <summary>Creates the command; the factory makes the chart image exporter (default: the library's SVG exporter when present).</summary>
    public RunCommand(Func<TextWriter, IChartImageExporter>? exporterFactory, IPlotlyScriptSource? plotly = null)
    {
        _run = new CourseRun(exporterFactory ?? ChartImageExporters.Default, plotly ?? new LibraryPlotlyScriptSource());
    }

    /// <inheritdoc />
    public string Name => "run";

    /// <summary>Makes the reporter for a run: plain lines unless the output is a person's terminal.</summary>
    public Func<CommandContext, IRunReporter> ReporterFactory { get; init; } = DefaultReporter;

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var symbols = new RunOptionSymbols();
        var command = new Command("run", "run the chapter notebooks; write executed notebooks, HTML pages, chart images and results.json");
        symbols.AddTo(command);
        command.SetAction((parsed, token) => RunAsync(symbols.Read(parsed), context with { CancellationToken = token }));
        return command;
    }

    /// <summary>The reporter used when none is given: Spectre.Console in a terminal, plain lines otherwise.</summary>
    public static IRunReporter DefaultReporter(CommandContext context) =>
        context.Interactive ? new SpectreRunReporter(Spectre.Console.AnsiConsole.Console) : new PlainRunReporter(context.Out, context.Error);

    /// <summary>Runs the selected chapters; returns 0 when all succeeded, 1 when one failed, 130 when cancelled.</summary>
    public async Task<int> RunAsync(RunOptions options, CommandContext context)
    {
        var plan = PlanOf(options, context.CurrentDirectory);
        var reporter = ReporterFactory(context);
        var summary = await _run.RunAsync(plan, reporter, context.CancellationToken);
        if (summary.Cancelled)
        {
            reporter.Problem($"{CommandLine.CancelledMessage} {plan.Folders.Results} and the chart images were left as they were; run the chapters again to record them.");
            return CommandLine.CancelledExitCode;
        }

        return summary.AllSucceeded ? 0 : CommandLine.FailedExitCode;
    }

    /// <summary>The run the options ask for: folders resolved against <paramref name="currentDirectory"/>, defaults from the repository.</summary>
    /// <exception cref="CourseException">A folder is left to its default and no course repository is found.</exception>
    public static RunPlan PlanOf(RunOptions options, string currentDirectory)
    {
        string Resolve(string path) => Path.GetFullPath(Path.Combine(currentDirectory, path));
        var root = options.NotebooksFolder is null || options.OutFolder is null || options.ImagesFolder is null
            ? RepositoryLayout.RequireRoot(currentDirectory)
            : null;
        var folders = new RunFolders(
            options.NotebooksFolder is { } n ? Resolve(n) : RepositoryLayout.NotebooksFolder(root!),
            options.OutFolder is { } o ? Resolve(o) : RepositoryLayout.OutFolder(root!),
            options.ImagesFolder is { } im ? Resolve(im) : RepositoryLayout.ImagesFolder(root!));
        var settings = new RunSettings(options.CellTimeout, options.Parameters, options.OptionalParameters, options.Jobs, options.ProcessPerChapter);
        return new RunPlan(folders, options.Chapters, settings);
    }
}
