using System.Net;
using AddressInUse.Experiments;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Measurement;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Lab;

/// <summary>
/// Watches the host's TCP table (netlink sock_diag, listeners only) while the wildcard experiments of chapters 05, 06 and 10
/// run, and keeps every wildcard listener that belongs to this process (its socket inode is one of /proc/self/fd's links).
/// Other programs on a shared machine may listen on the wildcard; their sockets are not this process's and are ignored.
/// </summary>
internal sealed class WildcardListenerWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _seen = new();

    // Its own thread, not the thread pool: with the suite's other classes keeping the pool busy, a pooled loop once made
    // no read at all while 50 short measurements ran ("0 reads of the table" in CI).
    public WildcardListenerWatch() => _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);

    /// <summary>How many times the table was read.</summary>
    public int Polls => Volatile.Read(ref _polls);

    private int _polls;

    /// <summary>Every wildcard listener of this process seen, as "0.0.0.0:41234 (inode 123)".</summary>
    public IReadOnlyList<string> Seen
    {
        get
        {
            lock (_seen)
            {
                return _seen.ToList();
            }
        }
    }

    /// <summary>Waits until the table has been read once, so a measurement started after it is watched; fails with the loop's own error if it stopped.</summary>
    public async Task WaitForFirstReadAsync()
    {
        await Poll.UntilAsync(() => _loop.IsCompleted || Polls > 0, TimeSpan.FromSeconds(30), "the watch's first read of the table").ConfigureAwait(false);
        if (_loop.IsFaulted)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var listeners = SockDiag.TryReadListeners() ?? throw new InvalidOperationException("netlink sock_diag is refused here, so the host's table cannot be watched.");
            Interlocked.Increment(ref _polls);
            var wildcard = listeners.Where(l => l.Entry.Local.Address.Equals(IPAddress.Any) || l.Entry.Local.Address.Equals(IPAddress.IPv6Any)).ToList();
            if (wildcard.Count > 0)
            {
                var mine = OwnSocketInodes();
                lock (_seen)
                {
                    _seen.AddRange(wildcard.Where(l => mine.Contains(l.Inode)).Select(l => $"{l.Entry.Local} (inode {l.Inode})"));
                }
            }
            Thread.Yield();
        }
    }

    /// <summary>The inodes of this process's sockets, from the "socket:[inode]" links under /proc/self/fd.</summary>
    private static HashSet<uint> OwnSocketInodes()
    {
        var inodes = new HashSet<uint>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while we looked
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && uint.TryParse(target.AsSpan(8, target.Length - 9), out var inode))
            {
                inodes.Add(inode);
            }
        }
        return inodes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>No socket of the course listens on the host's wildcard address while the chapters' wildcard experiments run, when the lab is available.</summary>
[Collection(SpecificPortCollection.Name)]
public sealed class NoWildcardListenerTests
{
    [LabFact]
    public async Task WildcardExperimentsOfChapters05_06_10_LabAvailable_NoWildcardListenerOfThisProcessOnTheHost()
    {
        var chapters = ChapterMeasurements.Select(["05", "10"]);
        IReadOnlyList<PortSharingMatrix> chapter06;
        var cases = 0;
        await using (var watch = new WildcardListenerWatch())
        {
            await watch.WaitForFirstReadAsync();
            foreach (var chapter in chapters)
            {
                // One context per chapter, so chapter 10 measures its own matrix as its notebook does.
                var context = new ChapterRunContext(quick: true);
                foreach (var call in chapter.Calls)
                {
                    cases += (await call.Run(context)).Count;
                }
            }
            chapter06 =
            [
                await PortSharing.MeasureAsync(PortSharingPlan.DifferentLocalAddresses() with { ProbesPerTarget = 2 }),
                await PortSharing.MeasureAsync(PortSharingPlan.MoreSpecificHijack() with { ProbesPerTarget = 2 }),
            ];
            await FiveTuple.MeasureAsync();
            Assert.True(watch.Polls >= 10, $"the table was read only {watch.Polls} times while the chapters ran");
            Assert.Empty(watch.Seen);
        }
        Assert.True(cases > 1000, $"only {cases} cases were measured");
        Assert.True(chapter06[1].Wildcard.InLab > 0);
    }

    [LabFact]
    public async Task WildcardCasesOnTheHost_Watched_TheWatchSeesThisProcesssWildcardListeners()
    {
        // The control: the same watch must see the listeners when the wildcard cases do run on the host, or the test above proves nothing.
        var plan = PortSharingPlan.MoreSpecificHijack() with { ProbesPerTarget = 2, WildcardInLab = false };
        await using var watch = new WildcardListenerWatch();

        await watch.WaitForFirstReadAsync();

        // Each run's listeners live for milliseconds; measure again (at most 50 times) until one read of the table falls inside one.
        for (var run = 0; run < 50 && watch.Seen.Count == 0; run++)
        {
            var d4 = await PortSharing.MeasureAsync(plan);
            Assert.Equal(d4.Outcomes.Count, d4.Wildcard.OnHost);
        }

        Assert.True(watch.Seen.Count > 0, $"no wildcard listener of this process was seen in {watch.Polls} reads of the table");
        Assert.All(watch.Seen, s => Assert.True(s.StartsWith("0.0.0.0:", StringComparison.Ordinal) || s.StartsWith("[::]:", StringComparison.Ordinal), s));
    }
}
