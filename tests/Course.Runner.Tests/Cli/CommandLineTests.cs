using System.CommandLine;
using Course.Runner.Cli;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public async Task UnknownCommand_PrintsUsageAndReturns2()
    {
        var (code, _, error) = await RunAsync("explode");

        Assert.Equal(2, code);
        Assert.Contains("Unknown command explode", error);
        // One mistake, one message: not also "no command given" (it came first before).
        Assert.DoesNotContain("No command given", error);
        Assert.Contains("Usage:", error);
        Assert.Contains("  run ", error);
    }

    [Fact]
    public async Task UnknownRunOption_PrintsTheProblemAndRunUsage_Returns2()
    {
        var (code, _, error) = await RunAsync("run", "--fast");

        Assert.Equal(2, code);
        Assert.Contains("Unknown option --fast.", error);
        Assert.Contains("--cell-timeout <S>", error);
    }

    [Fact]
    public async Task NoArguments_PrintsUsageAndReturns2()
    {
        var (code, _, error) = await RunAsync();

        Assert.Equal(2, code);
        Assert.Contains("No command given", error);
        Assert.Contains("Commands:", error);
    }

    [Theory]
    [InlineData("run", "--param <name=value>")]
    [InlineData("lint", "--fix")]
    [InlineData("nav", "--check")]
    [InlineData("observe", "--interval-ms <N>")]
    [InlineData("demo-server", "--reuseaddr")]
    public async Task Help_ForEachVerb_PrintsItsOptionsAndReturns0(string verb, string option)
    {
        var (code, output, _) = await RunAsync(verb, "--help");

        Assert.Equal(0, code);
        Assert.Contains(option, output);
        Assert.Contains($"course {verb}", output);
    }

    [Fact]
    public async Task Help_AtTheTop_ListsEveryVerb()
    {
        var (code, output, _) = await RunAsync("--help");

        Assert.Equal(0, code);
        foreach (var verb in new[] { "run", "lint", "nav", "observe", "demo-server" })
        {
            Assert.Contains($"  {verb} ", output);
        }
    }

    [Fact]
    public async Task ExtraCommand_IsDispatchedByName_WithItsOwnOptions()
    {
        var probe = new ProbeCommand();

        var (code, _, _) = await RunAsync([new RunCommand(), probe], "probe", "--x", "5");

        Assert.Equal(7, code);
        Assert.Equal(5, probe.Received);
    }

    [Fact]
    public void DefaultCommands_FindEveryVerbClass_RunFirst()
    {
        var names = CommandLine.DefaultCommands().Select(c => c.Name).ToList();

        Assert.Equal("run", names[0]);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("demo-server", names);
        Assert.Contains("observe", names);
    }

    [Fact]
    public async Task VerbThrowsUsageException_Returns2WithTheMessageAndAHelpHint()
    {
        var (code, _, error) = await RunAsync([new ThrowingCommand(new UsageException("bad value"))], "throws");

        Assert.Equal(2, code);
        Assert.Contains("bad value", error);
        Assert.Contains("course throws --help", error);
    }

    [Fact]
    public async Task VerbCancelled_Returns130AndSaysCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["throws"], new CommandContext(output, error, ".", cancelled.Token), [new ThrowingCommand(new OperationCanceledException())]);

        Assert.Equal(CommandLine.CancelledExitCode, code);
        Assert.Contains(CommandLine.CancelledMessage, error.ToString());
    }

    [Fact]
    public async Task VerbThrowsCourseException_Returns1WithTheMessage()
    {
        var (code, _, error) = await RunAsync([new ThrowingCommand(new CourseException("the file is broken. Fix: restore it."))], "throws");

        Assert.Equal(1, code);
        Assert.Contains("the file is broken. Fix: restore it.", error);
    }

    private static Task<(int, string, string)> RunAsync(params string[] args) => RunAsync(null, args);

    private static async Task<(int, string, string)> RunAsync(IReadOnlyList<ICommand>? commands, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, Directory.GetCurrentDirectory(), CancellationToken.None), commands);
        return (code, output.ToString(), error.ToString());
    }

    private sealed class ProbeCommand : ICommand
    {
        public int Received { get; private set; }

        public string Name => "probe";

        public Command Create(CommandContext context)
        {
            var x = new Option<int>("--x");
            var command = new Command("probe", "probe") { x };
            command.SetAction(parsed =>
            {
                Received = parsed.GetValue(x);
                return 7;
            });
            return command;
        }
    }

    private sealed class ThrowingCommand(Exception exception) : ICommand
    {
        public string Name => "throws";

        public Command Create(CommandContext context)
        {
            var command = new Command("throws", "throws");
            command.SetAction(new Func<ParseResult, int>(_ => throw exception));
            return command;
        }
    }
}
