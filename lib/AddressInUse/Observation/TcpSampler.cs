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
    private readonly List<System.Net.Sockets.Socket> _own = new();

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
            // The read takes time (milliseconds on a loaded machine); the sample is placed where it ended, and keeps where it began.
            var readFrom = Timeline.NowMs;
            var entries = TcpTable.Read(_filter, _ports);
            var sample = Timeline.Record(_own.Count == 0 ? entries : WithOwnStates(entries), readFrom);
            _samples++;
            return sample;
        }
    }

    /// <summary>Stamps this open socket of the course's own with its exact state from TCP_INFO in every sample (Linux), instead of the table's row.</summary>
    /// <remarks>The table row and TCP_INFO agree except when a transition falls between the two reads; TCP_INFO is read last, so it is the newer of the two.</remarks>
    public void Track(System.Net.Sockets.Socket socket)
    {
        lock (_gate)
        {
            _own.Add(socket);
        }
    }

    private IReadOnlyList<TcpEntry> WithOwnStates(IReadOnlyList<TcpEntry> entries)
    {
        var exact = new Dictionary<string, System.Net.NetworkInformation.TcpState>();
        foreach (var socket in _own)
        {
            try
            {
                if (socket.LocalEndPoint is System.Net.IPEndPoint local && socket.RemoteEndPoint is System.Net.IPEndPoint remote && TcpInfo.TryGetState(socket) is { } state)
                {
                    exact[$"{TcpTable.Normalize(local)}>{TcpTable.Normalize(remote)}"] = state;
                }
            }
            catch (ObjectDisposedException)
            {
                // Closed by the experiment: from now on the table alone tells its state (FIN_WAIT_2, TIME_WAIT…).
            }
        }
        return entries.Select(e => exact.TryGetValue(e.Key, out var state) && state != e.State ? e with { State = state } : e).ToList();
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
