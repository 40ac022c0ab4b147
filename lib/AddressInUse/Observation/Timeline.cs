using System.Collections.Concurrent;

namespace AddressInUse.Observation;

/// <summary>One poll of the TCP table: when it was taken and the matching sockets it saw.</summary>
/// <param name="AtMs">Milliseconds since the timeline started, on the monotonic clock: when the read of the table ended.</param>
/// <param name="Entries">The sockets seen.</param>
public sealed record Sample(double AtMs, IReadOnlyList<TcpEntry> Entries)
{
    /// <summary>When the read of the table began (null when not recorded): a state in the sample held at some moment from here to <see cref="AtMs"/>.</summary>
    public double? ReadFromMs { get; init; }
}

/// <summary>Something the experiment itself did (connect, kill, bind attempt…), on the same clock as the samples.</summary>
/// <param name="AtMs">Milliseconds since the timeline started.</param>
/// <param name="Kind">A short machine name: "connect", "kill", "restart", "close"….</param>
/// <param name="Label">What a reader sees on the chart.</param>
/// <param name="Outcome">"ok", an errno name, or null where the action has no outcome.</param>
/// <param name="Side">Which end acted (<see cref="EventSides"/>: "server", "client", "both"), or null when no one end did.</param>
public sealed record TimelineEvent(double AtMs, string Kind, string Label, string? Outcome = null, string? Side = null);

/// <summary>A stretch of time during which one socket was seen in one state.</summary>
/// <param name="State">The canonical state name.</param>
/// <param name="FromMs">The first sample that showed it.</param>
/// <param name="ToMs">The first sample that no longer showed it (or the last sample, if it never changed).</param>
/// <param name="Samples">How many samples showed it.</param>
/// <param name="LastSeenMs">The last sample that showed it (null when not recorded: then only a one-sample span's is known).</param>
public sealed record StateSpan(string State, double FromMs, double ToMs, int Samples, double? LastSeenMs = null)
{
    /// <summary>When the read of the first sample that showed the state began (null when not recorded).</summary>
    public double? FirstReadFromMs { get; init; }

    /// <summary>When the read of the last sample that showed the state began (null when not recorded).</summary>
    public double? LastReadFromMs { get; init; }

    /// <summary>
    /// The last moment the state was actually seen: <see cref="LastSeenMs"/>, or <see cref="FromMs"/> for a span of one sample;
    /// between it and <see cref="ToMs"/> no sample looked, so the state there is unknown.
    /// </summary>
    public double SeenUntilMs => LastSeenMs ?? (Samples <= 1 ? FromMs : ToMs);
}

/// <summary>The states one socket (identified by its two endpoints) went through, as sampled.</summary>
/// <param name="Key">"local>remote".</param>
/// <param name="Local">The local endpoint text.</param>
/// <param name="Remote">The remote endpoint text.</param>
/// <param name="Spans">The states in order, with their sampled times.</param>
public sealed record SocketHistory(string Key, string Local, string Remote, IReadOnlyList<StateSpan> Spans)
{
    /// <summary>The state at a given time, or null if the socket was not in the table then.</summary>
    public string? StateAt(double atMs) => Spans.LastOrDefault(s => s.FromMs <= atMs && atMs < s.ToMs)?.State;

    /// <summary>The distinct states in the order they were first seen.</summary>
    public IReadOnlyList<string> States => Spans.Select(s => s.State).Distinct().ToList();
}

/// <summary>Samples of the TCP table and the experiment's own actions, both on one monotonic clock.</summary>
public sealed class Timeline
{
    private readonly ConcurrentQueue<Sample> _samples = new();
    private readonly ConcurrentQueue<TimelineEvent> _events = new();
    private readonly long _start;

    /// <summary>Starts a timeline now on the given clock.</summary>
    public Timeline(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        _start = Time.GetTimestamp();
    }

    /// <summary>The clock every sample and event is stamped with.</summary>
    public TimeProvider Time { get; }

    /// <summary>Milliseconds since the timeline started.</summary>
    public double NowMs => Time.GetElapsedTime(_start).TotalMilliseconds;

    /// <summary>Every sample, in order.</summary>
    public IReadOnlyList<Sample> Samples => _samples.ToArray();

    /// <summary>Every event, in order.</summary>
    public IReadOnlyList<TimelineEvent> Events => _events.ToArray();

    /// <summary>Records one of the experiment's own actions now and returns it.</summary>
    public TimelineEvent Mark(string kind, string label, string? outcome = null)
    {
        var e = new TimelineEvent(NowMs, kind, label, outcome);
        _events.Enqueue(e);
        return e;
    }

    /// <summary>Records an action of one end (<see cref="EventSides"/>) now, so charts draw it on that end's row.</summary>
    public TimelineEvent MarkBy(string side, string kind, string label, string? outcome = null)
    {
        var e = new TimelineEvent(NowMs, kind, label, outcome, side);
        _events.Enqueue(e);
        return e;
    }

    /// <summary>
    /// Makes one of the experiment's own calls that changes a socket's state (close(), shutdown()) and records it by one end,
    /// stamped when the call starts: a sample is stamped after its read, so every state the call causes is drawn after its marker,
    /// even when this thread is descheduled between the call and the stamp.
    /// </summary>
    public TimelineEvent CallBy(string side, string kind, string label, Action call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var at = NowMs;
        call();
        var e = new TimelineEvent(at, kind, label, null, side);
        _events.Enqueue(e);
        return e;
    }

    /// <summary>As <see cref="CallBy"/>, for calls made on other threads (e.g. two ends released at once): stamped when the work starts.</summary>
    public async Task<TimelineEvent> CallByAsync(string side, string kind, string label, Func<Task> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var at = NowMs;
        await call().ConfigureAwait(false);
        var e = new TimelineEvent(at, kind, label, null, side);
        _events.Enqueue(e);
        return e;
    }

    /// <summary>Records a socket call's outcome ("ok" or its errno name) as an event now.</summary>
    public TimelineEvent Mark(string kind, string label, Native.StepResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Mark(kind, label, result.Outcome);
    }

    /// <summary>Every state change of every socket, with the states that fell between two samples.</summary>
    public IReadOnlyList<StateTransition> Transitions() => TcpPaths.Transitions(Samples);

    /// <summary>The state changes whose sample interval hid at least one state.</summary>
    public IReadOnlyList<StateTransition> UnseenTransitions() => Transitions().Where(t => t.HasUnseen).ToList();

    /// <summary>Records a sample whose read ended now (and began at <paramref name="readFromMs"/>, when given).</summary>
    public Sample Record(IReadOnlyList<TcpEntry> entries, double? readFromMs = null)
    {
        var sample = new Sample(NowMs, entries) { ReadFromMs = readFromMs };
        _samples.Enqueue(sample);
        return sample;
    }

    /// <summary>The latest sample, or null before the first.</summary>
    public Sample? Latest => _samples.LastOrDefault();

    /// <summary>Derives, per socket, the states it was seen in with entry and exit times.</summary>
    public IReadOnlyList<SocketHistory> Histories() => BuildHistories(Samples);

    private static StateSpan Span((TcpEntry Entry, List<StateSpan> Spans, string State, double From, int Count, double Last, double? FirstRead, double? LastRead) open, double toMs) =>
        new(open.State, open.From, toMs, open.Count, open.Last) { FirstReadFromMs = open.FirstRead, LastReadFromMs = open.LastRead };

    /// <summary>Derives per-socket state histories from a list of samples.</summary>
    public static IReadOnlyList<SocketHistory> BuildHistories(IReadOnlyList<Sample> samples)
    {
        var open = new Dictionary<string, (TcpEntry Entry, List<StateSpan> Spans, string State, double From, int Count, double Last, double? FirstRead, double? LastRead)>();
        var order = new List<string>();
        var done = new Dictionary<string, List<StateSpan>>();
        var endpoints = new Dictionary<string, TcpEntry>();
        foreach (var sample in samples)
        {
            var seen = new HashSet<string>();
            foreach (var entry in sample.Entries)
            {
                if (!seen.Add(entry.Key))
                {
                    continue;
                }
                endpoints[entry.Key] = entry;
                if (!open.TryGetValue(entry.Key, out var current))
                {
                    if (!done.ContainsKey(entry.Key))
                    {
                        order.Add(entry.Key);
                        done[entry.Key] = new List<StateSpan>();
                    }
                    open[entry.Key] = (entry, done[entry.Key], entry.StateName, sample.AtMs, 1, sample.AtMs, sample.ReadFromMs, sample.ReadFromMs);
                }
                else if (current.State != entry.StateName)
                {
                    current.Spans.Add(Span(current, sample.AtMs));
                    open[entry.Key] = (entry, current.Spans, entry.StateName, sample.AtMs, 1, sample.AtMs, sample.ReadFromMs, sample.ReadFromMs);
                }
                else
                {
                    open[entry.Key] = current with { Count = current.Count + 1, Last = sample.AtMs, LastRead = sample.ReadFromMs };
                }
            }
            foreach (var key in open.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                var gone = open[key];
                gone.Spans.Add(Span(gone, sample.AtMs));
                open.Remove(key);
            }
        }
        var last = samples.Count > 0 ? samples[^1].AtMs : 0;
        foreach (var (_, current) in open)
        {
            current.Spans.Add(Span(current, last));
        }
        return order
            .Select(key => new SocketHistory(key, endpoints[key].Local.ToString(), endpoints[key].Remote.ToString(), done[key]))
            .ToList();
    }
}
