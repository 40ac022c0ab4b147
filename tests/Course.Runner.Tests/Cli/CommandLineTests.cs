using Course.Runner.Cli;

namespace Course.Runner.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public async Task UnknownCommand_PrintsUsageAndReturns2()
    {
        var (code, _, error) = await RunAsync("explode");

        Assert.Equal(2, code);
        Assert.Contains("Unknown command explode", error);
        Assert.Contains("usage:", error);
        Assert.Contains("  run ", error);
    }

    [Fact]
    public async Task UnknownRunOption_PrintsTheProblemAndRunUsage_Returns2()
    {
        var (code, _, error) = await RunAsync("run", "--fast");

        Assert.Equal(2, code);
        Assert.Contains("Unknown option --fast.", error);
        Assert.Contains("--cell-timeout S", error);
    }

    [Fact]
    public async Task NoArguments_PrintsUsageAndReturns2()
    {
        var (code, _, error) = await RunAsync();

        Assert.Equal(2, code);
        Assert.Contains("commands:", error);
    }

    [Fact]
    public async Task Help_ForACommand_PrintsItsUsageAndReturns0()
    {
        var (code, output, _) = await RunAsync("run", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--param name=value", output);
    }

    [Fact]
    public async Task ExtraCommand_IsDispatchedByName()
    {
        var probe = new ProbeCommand();

        var (code, _, _) = await RunAsync([new RunCommand(), probe], "observe", "--x");

        Assert.Equal(7, code);
        Assert.Equal(["--x"], probe.Received);
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
        public IReadOnlyList<string> Received { get; private set; } = [];

        public string Name => "observe";

        public string Summary => "probe";

        public string Usage => "observe";

        public Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
        {
            Received = args;
            return Task.FromResult(7);
        }
    }
}
