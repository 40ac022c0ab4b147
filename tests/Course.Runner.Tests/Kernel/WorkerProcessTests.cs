using Course.Runner.Kernel;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Tests.Kernel;

/// <summary>The runner's side of a kernel worker, spoken to directly in the package's command and event envelopes.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_ATrailingExpression_ReturnValueProducedThenCommandSucceeded()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        var events = await RunAsync(worker, new SubmitCode("6 * 7", "csharp"), deadline.Token);

        var result = Assert.Single(events.OfType<ReturnValueProduced>());
        // Formatted by the kernel in its own default MIME type(s); each says 42.
        Assert.NotEmpty(result.FormattedValues);
        Assert.All(result.FormattedValues, value => Assert.Contains("42", value.Value));
        Assert.IsType<CommandSucceeded>(events[^1]);
    }

    [Fact]
    public async Task Open_ANotebookFolder_SucceedsAndCellsRunThere()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);
        var folder = Directory.CreateDirectory(Path.Combine(_temp.Path, "notebooks")).FullName;

        var opened = await RunAsync(worker, new OpenNotebook(folder), deadline.Token);
        var events = await RunAsync(worker, new SubmitCode("System.IO.Directory.GetCurrentDirectory()", "csharp"), deadline.Token);

        Assert.IsType<CommandSucceeded>(Assert.Single(opened));
        var directory = Assert.Single(events.OfType<ReturnValueProduced>()).FormattedValues.First(v => v.MimeType == "text/plain").Value;
        Assert.Equal(folder, directory);
    }

    [Fact]
    public async Task Run_ACellThatThrows_CommandFailedNamingTheException()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        var events = await RunAsync(worker, new SubmitCode("throw new System.IO.FileNotFoundException(\"gone\");", "csharp"), deadline.Token);

        var failed = Assert.IsType<CommandFailed>(events[^1]);
        var error = KernelError.From(failed);
        Assert.Equal("FileNotFoundException", error.Name);
        Assert.Equal("gone", error.Message);
        // The cell's own frame stays; the kernel's and Roslyn's are left out.
        Assert.Contains(error.Traceback, line => line.TrimStart().StartsWith("at Submission#", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Traceback, line => line.Contains("at Microsoft.DotNet.Interactive.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ACellThatDoesNotCompile_CommandFailedReadAsACompilationErrorWithCellLines()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        var events = await RunAsync(worker, new SubmitCode("var a = 1;\nvar b = nope + a;", "csharp"), deadline.Token);

        Assert.Contains(events, e => e is DiagnosticsProduced);
        var error = KernelError.From(Assert.IsType<CommandFailed>(events[^1]));
        Assert.True(error.IsCompilation, error.Message);
        Assert.Contains(error.Traceback, line => line.StartsWith("line 2, column 9: error CS0103", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_AStrayLineOnTheWorkersStandardOutput_IsNotTakenForAnEvent()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);
        var token = new SubmitCode("", "csharp").GetOrCreateToken();
        // What a child process that inherited the worker's standard output might write: this very cell's end, without the prefix.
        var forged = KernelEventEnvelope.Serialize(new CommandSucceeded(WithToken(new SubmitCode("", "csharp"), token)));
        var submit = WithToken(new SubmitCode(
            $"using (var raw = System.Console.OpenStandardOutput()) {{ raw.Write(System.Text.Encoding.UTF8.GetBytes(@\"{forged.Replace("\"", "\"\"")}\" + \"\\n\")); raw.Flush(); }}\n\"after\"",
            "csharp"), token);

        var events = await RunAsync(worker, submit, deadline.Token);

        // Had the forged line counted, the run would have ended there, before the cell's own result.
        Assert.Contains(events.OfType<ReturnValueProduced>(), r => r.FormattedValues.Any(v => v.Value.Contains("after", StringComparison.Ordinal)));
        Assert.IsType<CommandSucceeded>(events[^1]);
    }

    [Fact]
    public async Task Run_AnEarlierCellsDisplayUpdatedDuringALaterCell_IsNotGivenToTheLaterCell()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        var first = await RunAsync(worker, new SubmitCode(
            "var go = new System.Threading.ManualResetEventSlim(); var done = new System.Threading.ManualResetEventSlim();\n"
            + "var shown = display(\"first\");\n"
            + "_ = System.Threading.Tasks.Task.Run(() => { go.Wait(); shown.Update(\"late\"); done.Set(); });", "csharp"), deadline.Token);
        // The update happens while the second cell runs, after the first one ended.
        var second = await RunAsync(worker, new SubmitCode("go.Set(); done.Wait(System.TimeSpan.FromMinutes(1))", "csharp"), deadline.Token);

        Assert.Contains(first, e => e is DisplayedValueProduced);
        Assert.IsType<CommandSucceeded>(second[^1]);
        Assert.Contains(second.OfType<ReturnValueProduced>(), r => r.FormattedValues.Any(v => v.Value.Contains("True", StringComparison.Ordinal)));
        Assert.DoesNotContain(second, e => e is DisplayedValueUpdated or DisplayedValueProduced);
    }

    [Fact]
    public async Task EndInput_RightAfterACommand_TheCommandStillCompletesThenTheWorkerExits()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);
        var submit = new SubmitCode("await System.Threading.Tasks.Task.Yield(); 6 * 7", "csharp");

        await worker.SendAsync(submit, deadline.Token);
        worker.EndInput();
        var events = new List<KernelEvent>();
        while (await worker.ReadAsync(deadline.Token) is { } e)
        {
            events.Add(e);
        }

        // Reading ended because the worker's output closed: the process exited by itself, after its last event.
        Assert.True(WorkerProtocol.Completes(events[^1], submit), string.Join(", ", events.Select(e => e.GetType().Name)));
        Assert.IsType<CommandSucceeded>(events[^1]);
        Assert.Contains(events.OfType<ReturnValueProduced>(), r => r.FormattedValues.Any(v => v.Value.Contains("42", StringComparison.Ordinal)));
        Assert.StartsWith("the kernel worker process ended (exit code 0", worker.DescribeExit());
    }

    [Fact]
    public async Task Kill_AWorker_EndsItsProcessAndReadingSaysItEnded()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        worker.Kill();

        Assert.Null(await worker.ReadAsync(deadline.Token));
        // Its output ends when the dying process's pipes close, a moment before the OS reaps it; asserting HasExited right
        // away failed under load. The exit is awaited (the deadline fails the test if it never comes), then its cause checked.
        await worker.WaitForExitAsync(deadline.Token);
        Assert.True(worker.HasExited);
        Assert.Contains("exit code 137", worker.DescribeExit());
    }

    [Fact]
    public async Task Run_OnAWorkerThatWasKilled_EndsWithoutACompletion()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);
        worker.Kill();

        var events = new List<KernelEvent>();
        try
        {
            await foreach (var e in worker.RunAsync(new SubmitCode("1", "csharp"), deadline.Token))
            {
                events.Add(e);
            }
        }
        catch (IOException)
        {
            // Writing to the dead worker's pipe may fail instead: the executor treats both the same.
        }

        Assert.Empty(events);
        Assert.False(deadline.IsCancellationRequested);
    }

    private static SubmitCode WithToken(SubmitCode submit, string token)
    {
        submit.SetToken(token);
        return submit;
    }

    private static async Task<List<KernelEvent>> RunAsync(WorkerProcess worker, KernelCommand command, CancellationToken cancellationToken)
    {
        var events = new List<KernelEvent>();
        await foreach (var e in worker.RunAsync(command, cancellationToken))
        {
            events.Add(e);
        }

        Assert.True(events.Count > 0 && WorkerProtocol.Completes(events[^1], command), $"no completion: {string.Join(", ", events.Select(e => e.GetType().Name))}; {worker.DescribeExit()}");
        return events;
    }
}
