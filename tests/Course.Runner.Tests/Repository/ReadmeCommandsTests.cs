using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Course.Runner.Tests.Repository;

/// <summary>
/// Every `dotnet …` command the README gives works as written from where it says to run it: each is run as written (P
/// becoming a free port), or, where running it here would take the whole course or change the checkout, through its twin.
/// </summary>
public sealed partial class ReadmeCommandsTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    private static readonly string[] RunnerVerbsWithTwins = ["run", "diagnose", "demo-server", "observe", "nav", "lint"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The README's commands: code spans and shell-block lines that start with `dotnet` or `cd notebooks && dotnet` (comments dropped).</summary>
    public static IReadOnlyList<string> Commands()
    {
        var readme = File.ReadAllText(Checkout.Path("README.md"));
        var commands = new List<string>();
        foreach (Match block in ShellBlock().Matches(readme))
        {
            commands.AddRange(block.Groups[1].Value.Split('\n').Select(l => l.Split(" #")[0].Trim()));
        }
        var prose = ShellBlock().Replace(readme, "");
        commands.AddRange(CodeSpan().Matches(prose).Select(m => m.Groups[1].Value.Trim()));
        return commands.Where(c => c.StartsWith("dotnet ", StringComparison.Ordinal) || c.StartsWith("cd ", StringComparison.Ordinal))
            .Distinct().ToList();
    }

    /// <summary>Each command's kind: the twin that checks it.</summary>
    private static string? Kind(string command) => command switch
    {
        _ when RunnerVerb().Match(command) is { Success: true } m && RunnerVerbsWithTwins.Contains(m.Groups[1].Value) => "runner " + m.Groups[1].Value,
        "dotnet test Course.sln" or "dotnet build Course.sln" => "solution",
        _ when command.StartsWith("dotnet test tests/", StringComparison.Ordinal) => "test project filter",
        "dotnet build lib/AddressInUse" => "build the lab",
        "dotnet tool restore" => "tool restore",
        "dotnet dotnet-interactive jupyter install" => "jupyter install",
        _ when command.StartsWith("cd notebooks && dotnet dotnet-repl --run ", StringComparison.Ordinal) => "dotnet-repl",
        _ => null,
    };

    [Fact]
    public void Readme_EveryDotnetCommand_HasATwinBelow()
    {
        var commands = Commands();

        Assert.Contains("dotnet test Course.sln", commands);
        Assert.Contains("dotnet run --project lib/Course.Runner -- run", commands);
        var untested = commands.Where(c => Kind(c) is null).ToList();
        Assert.True(untested.Count == 0, $"README commands with no twin in {nameof(ReadmeCommandsTests)}: {string.Join(" | ", untested)}");
    }

    [Fact]
    public async Task Readme_SolutionCommands_TheSolutionHoldsEveryProjectOfTheCheckout()
    {
        Assert.All(Commands().Where(c => Kind(c) == "solution"), c => Assert.Matches("^dotnet (test|build) Course.sln$", c));
        // The twin of `dotnet test Course.sln` (this very run): the solution lists every project, so no test project is left out.
        var (code, listed) = await RunAsync("dotnet sln Course.sln list", Checkout.Root);
        Assert.Equal(0, code);
        var projects = Directory.GetFiles(Checkout.Path("tests"), "*.csproj", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Checkout.Path("lib"), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(p => Path.GetRelativePath(Checkout.Root, p).Replace('\\', '/'));
        Assert.All(projects, p => Assert.Contains(p, listed.Replace('\\', '/')));
    }

    [Fact]
    public void Readme_TestProjectFilter_NamesAProjectAndATestClassThatExist()
    {
        foreach (var command in Commands().Where(c => Kind(c) == "test project filter"))
        {
            var match = TestFilter().Match(command);
            Assert.True(match.Success, $"unexpected form: {command}");
            var project = Checkout.Path(match.Groups[1].Value.Split('/'));
            Assert.True(Directory.Exists(project), $"{command}: no folder {project}");
            var className = match.Groups[2].Value;
            Assert.True(Directory.GetFiles(project, "*.cs", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains($"class {className}", StringComparison.Ordinal)),
                $"{command}: no class {className} in {project}");
        }
    }

    [Fact]
    public async Task Readme_BuildTheLab_WritesTheDllTheSetupCellsLoad()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "build the lab");

        var (code, output) = await RunAsync(command, Checkout.Root);

        Assert.True(code == 0, output);
        Assert.True(File.Exists(Checkout.Path("lib", "bin", "AddressInUse.dll")), "lib/bin/AddressInUse.dll, which every chapter's setup cell loads");
    }

    [Fact]
    public async Task Readme_RunnerRun_AsWrittenWithOneQuickChapter_ExitsZeroAndWritesIt()
    {
        // The main job itself is CI's second command; here each README form runs one quick chapter into a temp folder.
        foreach (var command in Commands().Where(c => Kind(c) == "runner run"))
        {
            var withoutChapter = Regex.Replace(command, @" --chapter \S+", "");
            var twin = $"{withoutChapter} --chapter 00 --quick --out {_temp.Path}/out --images {_temp.Path}/images/linux";

            var (code, output) = await RunAsync(twin, Checkout.Root);

            log.WriteLine($"{twin}\n{output}");
            Assert.True(code == 0, $"{twin} exited {code}:\n{output}");
            Assert.True(File.Exists(Path.Combine(_temp.Path, "out", "00-start-here.ipynb")), $"{twin} wrote no executed chapter 00");
        }
    }

    [LinuxFact]
    public async Task Readme_RunnerDiagnose_AsWrittenOnAHeldPort_NamesTheListener()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "runner diagnose");
        using var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        held.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        held.Listen();
        var port = ((IPEndPoint)held.LocalEndPoint!).Port;

        var (code, output) = await RunAsync(WithPort(command, port), Checkout.Root);

        Assert.True(code == 0, output);
        Assert.Contains($"127.0.0.1:{port}", output);
        Assert.Contains("LISTEN", output);
    }

    [LinuxFact]
    public async Task Readme_RunnerServers_AsWrittenUntilCtrlC_StartOnTheirPortAndEndCleanly()
    {
        foreach (var command in Commands().Where(c => Kind(c) is "runner demo-server" or "runner observe"))
        {
            // "[--reuseaddr]" marks an optional flag; both forms run.
            var forms = command.Contains(" [", StringComparison.Ordinal)
                ? new[] { OptionalFlag().Replace(command, ""), OptionalFlag().Replace(command, " $1") }
                : [command];
            foreach (var form in forms)
            {
                var line = await StartUntilFirstLineThenCtrlCAsync(WithPort(form, FreePort()));
                log.WriteLine($"{form}: {line}");
            }
        }
    }

    [Fact]
    public async Task Readme_RunnerNav_AsWrittenWithCheck_FindsTheNotebooksAndTheTableUpToDate()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "runner nav");

        // `nav` rewrites the checkout; its --check form (the README names it) reads the same files and changes nothing.
        var (code, output) = await RunAsync($"{command} --check", Checkout.Root);

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Readme_RunnerLint_AsWritten_FindsNoUnboundSentenceInAnyChapter()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "runner lint");

        // Without --fix, lint only reads the notebooks.
        var (code, output) = await RunAsync(command, Checkout.Root);

        Assert.True(code == 0, output);
        Assert.Contains("00-start-here: sentences:", output);
        Assert.DoesNotContain("unbound outcome sentence", output);
    }

    [RealPartsFact(RealPart.KernelTool)]
    public async Task Readme_JupyterInstall_AsWrittenIntoATempFolder_WritesTheCSharpKernelspec()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "jupyter install");

        // --path keeps the machine's own Jupyter folder untouched; the command is otherwise the README's.
        var (code, output) = await RunAsync($"{command} --path {_temp.Path}", Checkout.Root);

        Assert.True(code == 0, output);
        var spec = Directory.GetFiles(_temp.Path, "kernel.json", SearchOption.AllDirectories).Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList();
        Assert.Contains(spec, s => (string?)s["language"] == "C#");
    }

    [RealPartsFact(RealPart.DotnetRepl)]
    public async Task Readme_DotnetRepl_AsWrittenFromTheRoot_RunsAChapterWithoutErrors()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "dotnet-repl");
        // NN-….ipynb stands for any chapter: chapter 00, with the executed copy written to a temp file.
        var output = Path.Combine(_temp.Path, "00.ipynb");
        var twin = ChapterPlaceholder().Replace(command, "00-start-here.ipynb") + $" --output-path {output}";

        var (code, text) = await RunAsync(twin, Checkout.Root);

        Assert.True(code == 0, $"{twin} exited {code}:\n{text}");
        var executed = JsonNode.Parse(File.ReadAllText(output))!;
        var errors = executed["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .Where(o => (string?)o!["output_type"] == "error" || o!.ToJsonString().Contains("CS0006", StringComparison.Ordinal))
            .Select(o => o!.ToJsonString()).ToList();
        Assert.True(errors.Count == 0, $"{twin}: {string.Join("\n", errors)}");
        Assert.Contains(executed["cells"]!.AsArray(), c => (c!["outputs"]?.AsArray().Count ?? 0) > 0);
    }

    [Fact]
    public async Task Readme_ToolRestore_AsWritten_RestoresBothPinnedTools()
    {
        var command = Assert.Single(Commands(), c => Kind(c) == "tool restore");
        var manifest = JsonNode.Parse(File.ReadAllText(Checkout.Path(".config", "dotnet-tools.json")))!["tools"]!.AsObject();

        Assert.Equal("1.0.712001", (string?)manifest["microsoft.dotnet-interactive"]?["version"]);
        Assert.Equal("0.3.259", (string?)manifest["dotnet-repl"]?["version"]);
        if (RealParts.MissingReason(RealPart.KernelTool, RealPart.DotnetRepl) is not null && !RealParts.Required)
        {
            // A fresh machine may be offline for NuGet: the manifest above is what the command restores.
            return;
        }
        var (code, output) = await RunAsync(command, Checkout.Root);
        Assert.True(code == 0, output);
    }

    private static string WithPort(string command, int port) => Regex.Replace(command, @"--port P\b", $"--port {port}");

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    // Starts the command in its own process group (as a terminal would), waits for its first line, then sends Ctrl+C's SIGINT to the group.
    private async Task<string> StartUntilFirstLineThenCtrlCAsync(string command)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = Checkout.Root, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(Deadline);
            Assert.True(first is not null, $"{command} printed nothing and exited {(process.HasExited ? process.ExitCode : -1)}:\n{errors}");
            InheritedSignals.AssertSigintNotIgnored();
            using (var interrupt = Process.Start("kill", ["-INT", "--", $"-{process.Id}"]))
            {
                await interrupt.WaitForExitAsync();
            }
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var rest = await process.StandardOutput.ReadToEndAsync();
            Assert.True(process.ExitCode is 0 or 130, $"{command} exited {process.ExitCode} after Ctrl+C:\n{first}\n{rest}\n{errors}");
            return first!;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string command, string folder)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Deadline);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"```(?:sh|bash|shell)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^dotnet run --project lib/Course\.Runner -- ([a-z-]+)")]
    private static partial Regex RunnerVerb();

    [GeneratedRegex(@"^dotnet test (tests/[^ ]+) --filter FullyQualifiedName~(\w+)$")]
    private static partial Regex TestFilter();

    [GeneratedRegex(@" \[(--[a-z-]+)\]")]
    private static partial Regex OptionalFlag();

    [GeneratedRegex(@"NN-…\.ipynb")]
    private static partial Regex ChapterPlaceholder();
}
