using Course.Runner.Kernel;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Kernel;

/// <summary>The runner's side of a kernel worker, spoken to directly: what a notebook run rests on.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_ATrailingExpression_ResultThenDoneOk()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        await worker.SendAsync(new WorkerRequest("open", Directory: _temp.Path), deadline.Token);
        Assert.Equal("ready", (await worker.ReadAsync(deadline.Token))?.Ev);
        await worker.SendAsync(new WorkerRequest("run", Code: "6 * 7"), deadline.Token);
        var events = new List<WorkerEvent>();
        while (await worker.ReadAsync(deadline.Token) is { } e)
        {
            events.Add(e);
            if (e.Ev == "done")
            {
                break;
            }
        }

        var result = Assert.Single(events, e => e.Ev == "result");
        // Formatted by the kernel in its own default MIME type(s); each says 42.
        Assert.NotEmpty(result.Data!);
        Assert.All(result.Data!.Values, text => Assert.Contains("42", text));
        Assert.True(events[^1] is { Ev: "done", Ok: true }, string.Join(", ", events.Select(e => e.Ev)));
    }

    [Fact]
    public async Task Run_ACellThatThrows_DoneNotOkNamingTheException()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        await worker.SendAsync(new WorkerRequest("open", Directory: _temp.Path), deadline.Token);
        await worker.ReadAsync(deadline.Token);
        await worker.SendAsync(new WorkerRequest("run", Code: "throw new System.IO.FileNotFoundException(\"gone\");"), deadline.Token);
        WorkerEvent? done = null;
        while (await worker.ReadAsync(deadline.Token) is { } e && (done = e).Ev != "done")
        {
        }

        Assert.NotNull(done);
        Assert.False(done!.Ok);
        Assert.Equal("FileNotFoundException", done.ErrorName);
        Assert.Contains("gone", done.Message);
    }

    [Fact]
    public async Task Kill_AWorker_EndsItsProcessAndReadingSaysItEnded()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var worker = WorkerProcess.Take(startSpare: false);

        worker.Kill();

        Assert.Null(await worker.ReadAsync(deadline.Token));
        Assert.True(worker.HasExited);
    }
}
