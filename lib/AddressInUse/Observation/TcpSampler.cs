namespace AddressInUse.Observation;

/// <summary>Polls the OS's TCP table in the background and records the matching sockets on a <see cref="Timeline"/>.</summary>
public sealed class TcpSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<TcpEntry, bool> _filter;
    private readonly IReadOnlyCollection<int>? _ports;
    private readonly object _gate = new();
    private int _samples;

    private TcpSampler(Timeline timeline, Func<TcpEntry, bool> filter, TimeSpan interval, IReadOnlyCollection<int>? ports = null)
    {
        _ports = ports;
        Timeline = timeline;
        _filter = filter;
        Interval = interval;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The timeline the samples go to.</summary>
    public Timeline Timeline { get; }

    /// <summary>The pause between two polls.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many samples have been taken so far.</summary>
    public int SampleCount => Volatile.Read(ref _samples);

    /// <summary>Starts sampling the sockets that match the filter.</summary>
    public static TcpSampler Start(Timeline timeline, Func<TcpEntry, bool> filter, TimeSpan? interval = null) =>
        new(timeline, filter, interval ?? TimeSpan.FromMilliseconds(2));

    /// <summary>Starts sampling every socket whose local or remote port is one of the given ports.</summary>
    public static TcpSampler ForPorts(Timeline timeline, IReadOnlyCollection<int> ports, TimeSpan? interval = null)
    {
        var set = ports.ToHashSet();
        return new TcpSampler(timeline, e => set.Contains(e.Local.Port) || set.Contains(e.Remote.Port), interval ?? TimeSpan.FromMilliseconds(2), set);
    }

    /// <summary>Takes one sample right now (in addition to the background ones) and returns it.</summary>
    public Sample SampleNow()
    {
        // One sample at a time, so that samples reach the timeline in the order they were read.
        lock (_gate)
        {
            var sample = Timeline.Record(TcpTable.Read(_filter, _ports));
            _samples++;
            return sample;
        }
    }

    /// <summary>Waits until a sample taken after this call satisfies the condition, or throws after the timeout.</summary>
    public async Task<Sample> WaitForAsync(Func<IReadOnlyList<TcpEntry>, bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        Sample? match = null;
        await Poll.UntilAsync(() =>
        {
            var sample = SampleNow();
            if (condition(sample.Entries))
            {
                match = sample;
                return true;
            }
            return false;
        }, timeout, what, Timeline.Time, cancellationToken).ConfigureAwait(false);
        return match!;
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            SampleNow();
            try
            {
                await Task.Delay(Interval, Timeline.Time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Stops sampling after one last sample.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            await _loop.ConfigureAwait(false);
            SampleNow();
        }
        _stop.Dispose();
    }
}
