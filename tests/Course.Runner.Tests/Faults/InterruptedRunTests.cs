using System.Text.Json.Nodes;
using Course.Runner.Cli;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Faults;

/// <summary>Real `course run` processes interrupted by SIGINT, SIGTERM and SIGKILL at several moments of a chapter; each test checks what is left behind.</summary>
[Collection(FaultCollection.Name)]
public sealed class InterruptedRunTests : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Ending = TimeSpan.FromSeconds(30);

    private readonly FaultCourse _course = new();

    public void Dispose() => _course.Dispose();

    /// <summary>The moments (a progress line ends when its cell ends): the chapter's setup cell compiles; the lab's child server starts; a long cell runs.</summary>
    [PosixFaultTheory]
    [InlineData("== 01-fault", CourseProcess.SigInt)]
    [InlineData("(id injected-parameters) ... ok", CourseProcess.SigInt)]
    [InlineData("(id measure) ... ok", CourseProcess.SigInt)]
    [InlineData("(id measure) ... ok", CourseProcess.SigTerm)]
    public async Task Signal_DuringAChapter_ExitsByItselfWith130_ChapterCancelled_NothingLeft_CommittedFilesByteIdentical(string moment, int signal)
    {
        await CommitAFirstRunAsync();
        var committed = FaultCourse.Snapshot(_course.Images);
        var sources = FaultCourse.Snapshot(_course.Notebooks);

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--param", "waitSeconds=120"));
        await run.WaitForOutputAsync(moment, Startup);
        run.Signal(signal);
        // Ending only guards against a hang (the runner's own watchdog ends it long before); how fast it ends is a benchmark, not a test.
        var code = await run.WaitForExitAsync(Ending);

        Assert.Equal(CommandLine.CancelledExitCode, code);
        Assert.Contains(CommandLine.CancelledMessage, run.Output);
        Assert.Matches(@"01-fault\s+cancelled", run.Output);
        Assert.DoesNotMatch(@"01-fault\s+failed", run.Output);
        await AssertNothingLeftAsync(run);
        Assert.Equal(committed, FaultCourse.Snapshot(_course.Images));
        Assert.Equal(sources, FaultCourse.Snapshot(_course.Notebooks));
    }

    [PosixFaultFact]
    public async Task SigintTwice_DuringALongCell_EndsAtOnceWith130_NothingLeft_CommittedFilesByteIdentical()
    {
        await CommitAFirstRunAsync();
        var committed = FaultCourse.Snapshot(_course.Images);

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--param", "waitSeconds=120"));
        await run.WaitForOutputAsync("(id measure) ... ok", Startup);
        run.Signal(CourseProcess.SigInt);
        await run.WaitForOutputAsync("stopping", Ending);
        // On a quiet machine the first SIGINT's stop can finish before the second is sent (CI once got kill's ESRCH here):
        // the run then ended at the first, which is at least as soon as the second asks for.
        run.TrySignal(CourseProcess.SigInt);
        var code = await run.WaitForExitAsync(Ending);

        Assert.Equal(CommandLine.CancelledExitCode, code);
        await AssertNothingLeftAsync(run);
        Assert.Equal(committed, FaultCourse.Snapshot(_course.Images));
    }

    /// <summary>SIGKILL cannot be handled: what must hold is that every file is either the old one or a whole new one, and nothing lives on.</summary>
    [PosixFaultTheory]
    [InlineData("(id injected-parameters) ... ok")]
    [InlineData("(id measure) ... ok")]
    [InlineData("wrote ")]
    public async Task Sigkill_AtAMomentOfTheRun_LeavesOldOrWholeFiles_NoChildOrSocket(string moment)
    {
        await CommitAFirstRunAsync();
        var committed = FaultCourse.Snapshot(_course.Images);

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--param", moment == "wrote " ? "waitSeconds=0" : "waitSeconds=120"));
        await run.WaitForOutputAsync(moment, Startup);
        // After the last "wrote " the run has almost nothing left to do, so on a quiet machine it can end before the kill
        // arrives (kill's ESRCH, or a process already exited 0): the files must then be whole all the same.
        run.TrySignal(CourseProcess.SigKill);
        var code = await run.WaitForExitAsync(Ending);

        Assert.True(code == 128 + CourseProcess.SigKill || (moment == "wrote " && code == 0), $"exit {code}\n{run.Output}");
        await AssertNoProcessOrSocketLeftAsync(run);
        var now = FaultCourse.Snapshot(_course.Images);
        foreach (var (file, hash) in committed)
        {
            // Atomic writes: the old bytes, or a complete new file that parses.
            if (now.GetValueOrDefault(file) != hash && file.EndsWith(".json", StringComparison.Ordinal))
            {
                Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(Path.Combine(_course.Images, file))));
            }
        }

        foreach (var notebook in Directory.Exists(_course.Out) ? Directory.GetFiles(_course.Out, "*.ipynb") : [])
        {
            Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(notebook)));
        }

        // A temp file of the killed run may remain; the next run's sweep removes it because its process is gone.
        Leftovers.Sweep(_course.Images);
        Leftovers.Sweep(_course.Out);
        Assert.Empty(FaultCourse.CourseTempEntries(_course.Root));
    }

    /// <summary>The lab's child (unshare → the library in a private network namespace) reads its stdin to the end: a SIGKILLed run takes it, and its namespace, along.</summary>
    [LabFaultFact]
    public async Task Sigkill_WhileTheLabsChildRuns_NoUnshareChildOrPrivateNamespaceLeft()
    {
        // tw-length waits a minute in the lab for a TIME_WAIT entry to expire: long enough to be killed in the middle.
        _course.WriteChapter("01-fault", NotebookCellsWith(
            "var lab = AddressInUse.Lab.NetworkLab.RunAsync(\"tw-length\", new Dictionary<string, string>());\nawait Task.Delay(TimeSpan.FromSeconds(120));", "lab"));
        var hostNamespace = AddressInUse.Lab.NetworkLab.CurrentNamespace();

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--cell-timeout", "200"));
        await run.WaitForOutputAsync("(id measure) ... ok", Startup);
        string? labNamespace = null;
        var started = await AddressInUse.Observation.Poll.TryUntilAsync(() =>
        {
            labNamespace = run.Descendants.Select(NetworkNamespaceOf).FirstOrDefault(n => n is not null && n != hostNamespace);
            return labNamespace is not null;
        }, TimeSpan.FromSeconds(60));
        Assert.True(started, "the lab's child never appeared in a namespace of its own.\n" + run.Output);
        run.Signal(CourseProcess.SigKill);
        var code = await run.WaitForExitAsync(Ending);

        Assert.Equal(128 + CourseProcess.SigKill, code);
        await AssertNoProcessOrSocketLeftAsync(run);
        // A network namespace lives as long as a process is in it (nothing here mounts or holds it otherwise).
        var gone = await AddressInUse.Observation.Poll.TryUntilAsync(() => ProcessesIn(labNamespace!).Count == 0, TimeSpan.FromSeconds(10));
        Assert.True(gone, $"processes still in the lab's namespace {labNamespace}: {string.Join(", ", ProcessesIn(labNamespace!))}");
    }

    private static string? NetworkNamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<int> ProcessesIn(string networkNamespace) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1)
            .Where(pid => pid > 0 && NetworkNamespaceOf(pid) == networkNamespace)
            .ToList();

    [PosixFaultFact]
    public async Task TwoRunsAtOnce_OnTheSameFolders_BothSucceed_ResultsWhole_NothingLeft()
    {
        await using var first = CourseProcess.Start(Path.Combine(_course.Tmp, "a"), _course.RunArgs());
        await using var second = CourseProcess.Start(Path.Combine(_course.Tmp, "b"), _course.RunArgs());

        var codes = await Task.WhenAll(first.WaitForExitAsync(Startup), second.WaitForExitAsync(Startup));

        Assert.True(codes.All(c => c == 0), $"exit codes {string.Join(", ", codes)}\n--- first:\n{first.Output}\n--- second:\n{second.Output}");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(_course.Images, "results.json")))!;
        Assert.Equal("ok", (string?)results["chapters"]!["01-fault"]!["status"]);
        Assert.Equal("m1", (string?)Assert.Single(results["cases"]!.AsArray())!["case"]);
        await AssertNothingLeftAsync(first);
        await AssertNothingLeftAsync(second);
    }

    [PosixFaultFact]
    public async Task CorruptedResultsJson_IsSetAside_TheRunSucceeds_AndWritesAWholeNewOne()
    {
        File.WriteAllBytes(Path.Combine(_course.Images, "results.json"), [0x7b, 0x22, 0x63, 0x61, 0x00, 0xff]);

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs());
        var code = await run.WaitForExitAsync(Startup);

        Assert.True(code == 0, run.Output);
        Assert.Contains("set aside as results.json.damaged-", run.Output);
        var aside = Assert.Single(Directory.GetFiles(_course.Images, "results.json.damaged-*"));
        Assert.Equal([0x7b, 0x22, 0x63, 0x61, 0x00, 0xff], File.ReadAllBytes(aside));
        Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(Path.Combine(_course.Images, "results.json"))));
        await AssertNothingLeftAsync(run);
    }

    [PosixFaultFact]
    public async Task CellThatNeverEnds_TimesOut_ChapterFailsNamingTheCell_NextChapterRuns_ProcessEnds()
    {
        // The 3 s limit is the spinning cell's own: as the run's --cell-timeout it also cut short setup cells that a loaded
        // machine took longer than 3 s to compile (the test then named the wrong cell).
        _course.WriteChapter("01-fault", NotebookCellsWith("while (true) { }", "spin", ownTimeoutSeconds: 3));
        _course.WriteChapter("02-after", NotebookCells.Markdown("# 02 — After"), NotebookCells.Code("1 + 1", "only"));

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--cell-timeout", "600"));
        var code = await run.WaitForExitAsync(Startup);

        Assert.True(code == 1, run.Output);
        // The whole output in the message: which cell failed, and why, when it is not the spinning one.
        Assert.True(run.Output.Contains("01-fault failed at code cell 5/6 (id spin)", StringComparison.Ordinal), run.Output);
        Assert.Contains("did not finish within 3 s", run.Output);
        Assert.Matches(@"02-after\s+ok", run.Output);
        await AssertNothingLeftAsync(run);
    }

    [PosixFaultFact]
    public async Task CellPrinting50MB_RunEnds_ExecutedNotebookIsWholeJson_NothingLeft()
    {
        // The 20 s limit is the flooding cell's own, so the setup cells are never what times out.
        _course.WriteChapter("01-fault", NotebookCellsWith("var line = new string('x', 99);\nfor (var i = 0; i < 500_000; i++) { Console.WriteLine(line); }", "flood", ownTimeoutSeconds: 20));

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--cell-timeout", "600"));
        var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(code is 0 or 1, $"exit {code}\n{run.Output[..Math.Min(run.Output.Length, 5000)]}");
        Assert.DoesNotContain("internal error", run.Output);
        Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(Path.Combine(_course.Out, "01-fault.ipynb"))));
        Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(Path.Combine(_course.Images, "results.json"))));
        await AssertNothingLeftAsync(run);
    }

    [PosixFaultFact]
    public async Task CellReadingStdin_WithStdinAnOpenPipe_ReadsEndOfInputAtOnce_NotTheTimeout()
    {
        // The 60 s limit is the reading cell's own: a hang there fails the test, a slow setup on a loaded machine does not.
        _course.WriteChapter("01-fault", NotebookCellsWith("var line = Console.ReadLine();\nConsole.WriteLine(line is null ? \"stdin: end of input\" : \"stdin: \" + line);", "stdin", ownTimeoutSeconds: 60));

        // CourseProcess keeps stdin an open pipe that is never written, as a CI runner or a parent script does.
        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--cell-timeout", "600"));
        var code = await run.WaitForExitAsync(Startup);

        Assert.True(code == 0, run.Output);
        Assert.Contains("stdin: end of input", File.ReadAllText(Path.Combine(_course.Out, "01-fault.ipynb")));
        await AssertNothingLeftAsync(run);
    }

    /// <summary>The runtime's tree kill stops a tree before it kills it: a runner killed in between left its worker stopped (state T) for good.</summary>
    [PosixFaultFact]
    public async Task Sigkill_WithItsWorkerStopped_TheNextRunEndsTheLeftovers()
    {
        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs("--param", "waitSeconds=120"));
        await run.WaitForOutputAsync("(id measure) ... ok", Startup);
        // The tree read from /proc now, not the tracker's last sample: under load that could miss the child server the
        // "child" cell started, which then ended by itself and made the next run's count one off.
        var stopped = AddressInUse.Child.ProcessTree.Descendants(run.Id)
            .Where(pid => CommandLineOf(pid).Contains("course.dll") || CommandLineOf(pid).Contains("AddressInUse.dll")).ToList();
        Assert.NotEmpty(stopped);
        foreach (var pid in stopped)
        {
            Assert.Equal(0, SendSignal(pid, SigStop));
        }

        // kill() only queues SIGSTOP; a process stops when it next gets a core, which under load can take a while.
        Assert.True(await AddressInUse.Observation.Poll.TryUntilAsync(() => stopped.All(pid => StateOf(pid) == "T"), Ending),
            "not stopped: " + string.Join(", ", stopped.Select(pid => $"{pid} {StateOf(pid)}")));
        run.Signal(CourseProcess.SigKill);
        await run.WaitForExitAsync(Ending);
        // Nothing of a stopped process runs, its parent watch included: it stays (what the fault campaign found).
        Assert.All(stopped, pid => Assert.Equal("T", StateOf(pid)));

        await using var next = CourseProcess.Start(Path.Combine(_course.Tmp, "next"), _course.RunArgs());
        Assert.Equal(0, await next.WaitForExitAsync(Startup));

        Assert.Contains($"ended {stopped.Count} process(es) a killed run left behind", next.Output);
        Assert.True(await AddressInUse.Observation.Poll.TryUntilAsync(() => stopped.All(pid => StateOf(pid) is null or "Z"), TimeSpan.FromSeconds(10)),
            "still there: " + string.Join(", ", stopped.Select(pid => $"{pid} {StateOf(pid)}")));
    }

    /// <summary>TMPDIR (empty before) counted after a completed, an interrupted and a killed run (the next run sweeping), with the runtime's diagnostics on, as a person runs the course.</summary>
    [PosixFaultTheory]
    [InlineData("completed")]
    [InlineData("sigint")]
    [InlineData("sigkill")]
    public async Task TempFolder_AfterARun_HoldsNothing_WithTheRuntimesDiagnosticsOn(string how)
    {
        var tmp = Path.Combine(_course.Tmp, how);
        await using (var run = CourseProcess.StartAsAPersonWould(tmp, _course.RunArgs("--param", how == "completed" ? "waitSeconds=0" : "waitSeconds=120")))
        {
            if (how != "completed")
            {
                await run.WaitForOutputAsync("(id measure) ... ok", Startup);
                run.Signal(how == "sigint" ? CourseProcess.SigInt : CourseProcess.SigKill);
            }

            await run.WaitForExitAsync(Startup);
            await AssertNoProcessOrSocketLeftAsync(run);
        }

        if (how == "sigkill")
        {
            // The killed runner's own runtime files can only go when the next run sweeps (its marker names its pid and TMPDIR).
            await using var next = CourseProcess.StartAsAPersonWould(tmp, _course.RunArgs());
            Assert.Equal(0, await next.WaitForExitAsync(Startup));
        }

        var left = Directory.GetFileSystemEntries(tmp, "*", SearchOption.AllDirectories);
        Assert.True(left.Length == 0, $"left in TMPDIR after a {how} run: " + string.Join(", ", left.Select(Path.GetFileName)));
        Assert.Empty(FaultCourse.CourseTempEntries(_course.Root));
    }

    private const int SigStop = 19;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? StateOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private InteractiveDocumentElement[] NotebookCellsWith(string code, string id, double? ownTimeoutSeconds = null)
    {
        // The default chapter with its wait cell replaced: setup, params, child, measure, <code>, done.
        var cells = _course.DefaultCells();
        var index = Array.FindIndex(cells, c => c.Id == "wait");
        cells[index] = NotebookCells.Code(code, id);
        if (ownTimeoutSeconds is { } seconds)
        {
            TestNotebooks.WithOwnTimeout(cells[index], seconds);
        }

        return cells;
    }

    private Task CommitAFirstRunAsync()
    {
        // What a committed images/<os>/ holds: results.json with this chapter's case, and a chart image.
        File.WriteAllText(Path.Combine(_course.Images, "results.json"), """
            {
              "generated": "2026-12-01T00:00:00Z",
              "chapters": { "01-fault": { "status": "ok", "durationSeconds": 1.5 } },
              "cases": [ { "chapter": "01-fault", "case": "m1", "seconds": 0.5 } ]
            }

            """);
        File.WriteAllText(Path.Combine(_course.Images, "01-fault-chart.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n");
        return Task.CompletedTask;
    }

    private async Task AssertNothingLeftAsync(CourseProcess run)
    {
        await AssertNoProcessOrSocketLeftAsync(run);
        Assert.Empty(FaultCourse.CourseTempEntries(_course.Root));
        var tmp = Directory.GetFileSystemEntries(run.TempFolder, "*", SearchOption.AllDirectories);
        Assert.True(tmp.Length == 0, "left in TMPDIR: " + string.Join(", ", tmp));
    }

    private static async Task AssertNoProcessOrSocketLeftAsync(CourseProcess run)
    {
        // A child notices its parent is gone through its closed stdin; give it a moment, polling.
        await AddressInUse.Observation.Poll.TryUntilAsync(() => run.LiveDescendants().Count == 0 && run.LiveSockets().Count == 0, TimeSpan.FromSeconds(10));

        Assert.True(run.LiveDescendants().Count == 0, "processes left: " + string.Join("; ", run.LiveDescendants()) + "\n" + run.Output);
        Assert.True(run.LiveSockets().Count == 0, "sockets left (inodes): " + string.Join(", ", run.LiveSockets()));
    }
}
