using System.Diagnostics;
using Course.Runner.Execution;
using Course.Runner.Kernel;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Kernel;

/// <summary>Chapters handed from one warm kernel worker to the next: a fresh kernel each, and a new process whenever a chapter left something behind.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class WorkerPoolTests : IDisposable
{
    private const string ProcessId = "System.Environment.ProcessId";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [WorkerReuseFact]
    public async Task SecondNotebook_AfterOneThatEndedCleanly_RunsInTheSameProcessWithNothingOfTheFirst()
    {
        using var pool = new WorkerPool();

        var first = await RunAsync(pool, "first.ipynb",
            "var fromTheFirst = 41;",
            "System.Environment.SetEnvironmentVariable(\"COURSE_POOL_TEST\", \"left by the first\");",
            ProcessId);
        var second = await RunAsync(pool, "second.ipynb",
            ProcessId,
            "System.Environment.GetEnvironmentVariable(\"COURSE_POOL_TEST\") ?? \"unset\"",
            "fromTheFirst + 1");

        Assert.True(first.Succeeded, first.Failure?.Message);
        Assert.Equal(1, pool.Reused);
        Assert.Equal(TestNotebooks.TextOf(first.Notebook.Elements[2]), TestNotebooks.TextOf(second.Notebook.Elements[0]));
        Assert.Equal("unset", TestNotebooks.TextOf(second.Notebook.Elements[1]));
        // A fresh kernel: the first notebook's variables do not exist.
        Assert.Equal(CellFailureKind.Compilation, second.Failure?.Kind);
        Assert.Contains("CS0103", second.Failure!.Message);
    }

    [WorkerReuseTheory]
    [InlineData("socket", "class Kept { public static System.Net.Sockets.Socket S; }\nKept.S = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\nKept.S.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));\nKept.S.Listen();", "0")]
    [InlineData("child process", "var child = System.Diagnostics.Process.Start(\"sleep\", \"300\");", "child.Id")]
    public async Task NextNotebook_AfterOneThatLeftSomethingRunning_GetsANewProcessAndTheOldOneEnds(string left, string code, string leftPid)
    {
        using var pool = new WorkerPool();

        var first = await RunAsync(pool, "first.ipynb", code, ProcessId, leftPid);
        var second = await RunAsync(pool, "second.ipynb", ProcessId);

        Assert.True(first.Succeeded, first.Failure?.Message);
        Assert.Equal(0, pool.Reused);
        Assert.Equal(1, pool.Replaced);
        Assert.Contains(left, pool.LastReplacedBecause);
        var firstPid = int.Parse(TestNotebooks.TextOf(first.Notebook.Elements[1]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(firstPid.ToString(System.Globalization.CultureInfo.InvariantCulture), TestNotebooks.TextOf(second.Notebook.Elements[0]));
        Assert.True(await EndsAsync(firstPid), $"the replaced worker {firstPid} is still running");
        var child = int.Parse(TestNotebooks.TextOf(first.Notebook.Elements[2]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(child == 0 || await EndsAsync(child), $"the process {child} the first notebook left running outlived its worker");
    }

    [Fact]
    public async Task NextNotebook_AfterACellThatTimedOut_GetsANewProcess()
    {
        using var pool = new WorkerPool();

        // The 5 s limit is the spinning cell's own: as the run's it could also end the first cell, whose compile in a new kernel
        // can take longer on a loaded machine.
        var spinning = TestNotebooks.FromCode(ProcessId, "while (true) { }");
        TestNotebooks.WithOwnTimeout(spinning.Elements[1], 5);
        var first = await TestNotebooks.RunAsync(spinning, _temp.Path, new ExecutionOptions { Workers = pool }, "first.ipynb");
        var second = await RunAsync(pool, "second.ipynb", ProcessId);

        Assert.Equal(CellFailureKind.Timeout, first.Failure?.Kind);
        Assert.True(second.Succeeded, second.Failure?.Message);
        Assert.Equal(0, pool.Reused);
        var firstPid = int.Parse(TestNotebooks.TextOf(first.Notebook.Elements[0]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(firstPid.ToString(System.Globalization.CultureInfo.InvariantCulture), TestNotebooks.TextOf(second.Notebook.Elements[0]));
        Assert.True(await EndsAsync(firstPid), $"the hung worker {firstPid} is still running");
    }

    [WorkerReuseFact]
    public async Task Dispose_APoolHoldingAWarmWorker_EndsTheWorker()
    {
        var pool = new WorkerPool();
        var run = await RunAsync(pool, "only.ipynb", ProcessId);
        var pid = int.Parse(TestNotebooks.TextOf(run.Notebook.Elements[0]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(IsRunning(pid), "the worker should wait in the pool for the next chapter");

        pool.Dispose();

        Assert.True(await EndsAsync(pid), $"the pool's worker {pid} is still running after the pool was disposed");
    }

    private Task<NotebookRunResult> RunAsync(WorkerPool pool, string name, params string[] cells) =>
        RunAsync(pool, name, new ExecutionOptions { Workers = pool }, cells);

    private Task<NotebookRunResult> RunAsync(WorkerPool pool, string name, ExecutionOptions options, params string[] cells)
    {
        Assert.Same(pool, options.Workers);
        return TestNotebooks.RunAsync(TestNotebooks.FromCode(cells), _temp.Path, options, name);
    }

    // Dispose waits for the killed process only 2 s; on a loaded machine its teardown can take longer, so the end is polled for.
    private static Task<bool> EndsAsync(int pid) => AddressInUse.Observation.Poll.TryUntilAsync(() => !IsRunning(pid), TimeSpan.FromSeconds(30));

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}

/// <summary>A fact about reusing a worker, which needs /proc/self to check what a chapter left behind: skipped elsewhere, saying why.</summary>
public sealed class WorkerReuseFactAttribute : FactAttribute
{
    /// <summary>Skips where <see cref="ChapterIsolation.Supported"/> is false.</summary>
    public WorkerReuseFactAttribute()
    {
        if (!ChapterIsolation.Supported)
        {
            Skip = "A worker is reused only where /proc/self shows what a chapter left behind (Linux); elsewhere every chapter gets its own process.";
        }
    }
}

/// <summary>A theory with the same requirement as <see cref="WorkerReuseFactAttribute"/>.</summary>
public sealed class WorkerReuseTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips where <see cref="ChapterIsolation.Supported"/> is false.</summary>
    public WorkerReuseTheoryAttribute()
    {
        if (!ChapterIsolation.Supported)
        {
            Skip = "A worker is reused only where /proc/self shows what a chapter left behind (Linux); elsewhere every chapter gets its own process.";
        }
    }
}
