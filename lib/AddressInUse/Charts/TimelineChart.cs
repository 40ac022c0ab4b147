using System.Globalization;
using System.Text.Json.Nodes;
using AddressInUse.Observation;

namespace AddressInUse.Charts;

/// <summary>One row of a timeline chart: a socket's sampled states under a label, shifted so 0 is a chosen moment.</summary>
/// <param name="Label">The row's label, e.g. "no options · server end :5000".</param>
/// <param name="History">The socket's sampled states.</param>
/// <param name="OriginMs">The timeline time that becomes 0 on the chart (e.g. the kill).</param>
public sealed record TimelineLane(string Label, SocketHistory History, double OriginMs)
{
    /// <summary>The lanes of one connection's two ends as <paramref name="timeline"/> saw them: the server end's, then the client end's; an end never seen has none.</summary>
    /// <param name="timeline">The sampled timeline.</param>
    /// <param name="serverEnd">The server end ("127.0.0.1:port").</param>
    /// <param name="clientEnd">The client end.</param>
    /// <param name="serverLabel">The server end's row label.</param>
    /// <param name="clientLabel">The client end's row label.</param>
    /// <param name="originMs">The timeline time that becomes 0 on the chart.</param>
    public static IEnumerable<TimelineLane> OfConnection(Timeline timeline, string serverEnd, string clientEnd, string serverLabel, string clientLabel, double originMs)
    {
        var histories = timeline.Histories();
        if (histories.FirstOrDefault(h => h.Local == serverEnd && h.Remote == clientEnd) is { } server)
        {
            yield return new TimelineLane(serverLabel, server, originMs);
        }
        if (histories.FirstOrDefault(h => h.Local == clientEnd && h.Remote == serverEnd) is { } client)
        {
            yield return new TimelineLane(clientLabel, client, originMs);
        }
    }
}

/// <summary>A marker on a timeline chart row: one of the experiment's own actions.</summary>
/// <param name="Lane">The row label it sits on.</param>
/// <param name="Event">The action.</param>
/// <param name="OriginMs">The timeline time that becomes 0 on the chart.</param>
public sealed record TimelineMarker(string Lane, TimelineEvent Event, double OriginMs);

/// <summary>What a piece of a timeline row shows.</summary>
public enum TimelinePieceKind
{
    /// <summary>A state seen in two or more samples: a stretch from the first to the last.</summary>
    Seen,

    /// <summary>A state seen in one sample only: a mark at that sample.</summary>
    SeenOnce,

    /// <summary>The time between two samples that showed different things: no one looked, so it is drawn as unknown.</summary>
    Unknown,
}

/// <summary>One piece of a timeline row, in chart time.</summary>
/// <param name="Lane">The row label.</param>
/// <param name="State">The state seen (for <see cref="TimelinePieceKind.Unknown"/>, the state last seen before it).</param>
/// <param name="Kind">What the piece shows.</param>
/// <param name="FromMs">Where it starts.</param>
/// <param name="ToMs">Where it ends (equal to <paramref name="FromMs"/> for a mark).</param>
/// <param name="Samples">The samples that showed the state (0 for an unknown stretch).</param>
/// <param name="NextState">For an unknown stretch, the state the next sample showed, or null when the socket was gone.</param>
public sealed record TimelinePiece(string Lane, string State, TimelinePieceKind Kind, double FromMs, double ToMs, int Samples, string? NextState)
{
    /// <summary>In chart time, when the read of the first sample that showed the state began (it ended at <see cref="FromMs"/>); null when not recorded.</summary>
    public double? FirstReadFromMs { get; init; }

    /// <summary>In chart time, when the read of the last sample that showed the state began (it ended at <see cref="ToMs"/>); null when not recorded.</summary>
    public double? LastReadFromMs { get; init; }

    /// <summary>"&lt;br&gt;read from -10.4 to 1.9 ms" (one sample) or the first and last samples' reads: when the reads that showed the state began and ended; empty when not recorded.</summary>
    public string Reads => Kind == TimelinePieceKind.Unknown ? "" : (FirstReadFromMs, LastReadFromMs) switch
    {
        ({ } first, _) when Kind == TimelinePieceKind.SeenOnce => string.Create(CultureInfo.InvariantCulture, $"<br>read from {first:0.#} to {FromMs:0.#} ms"),
        ({ } first, { } last) => string.Create(CultureInfo.InvariantCulture, $"<br>first read from {first:0.#} to {FromMs:0.#} ms, last read from {last:0.#} to {ToMs:0.#} ms"),
        _ => "",
    };
}

/// <summary>Draws sampled TCP states per socket as what was seen (stretches and marks) and what was not (hatched gaps), with the experiment's actions as markers.</summary>
public static class TimelineChart
{
    /// <summary>The colour of each TCP state, the same in every chapter.</summary>
    public static IReadOnlyDictionary<string, string> StateColors { get; } = new Dictionary<string, string>
    {
        ["LISTEN"] = "#9e9e9e",
        ["SYN_SENT"] = "#b0bec5",
        ["SYN_RECEIVED"] = "#b0bec5",
        ["ESTABLISHED"] = "#43a047",
        ["FIN_WAIT_1"] = "#ffb74d",
        ["FIN_WAIT_2"] = "#fb8c00",
        ["CLOSING"] = "#fdd835",
        ["TIME_WAIT"] = "#8e24aa",
        ["CLOSE_WAIT"] = "#1e88e5",
        ["LAST_ACK"] = "#90caf9",
        ["CLOSED"] = "#424242",
    };

    /// <summary>The marker symbol of each kind of action, so send, shutdown and close look different on every chart.</summary>
    public static IReadOnlyDictionary<string, string> KindSymbols { get; } = new Dictionary<string, string>
    {
        ["kill"] = "x",
        ["send"] = "triangle-right",
        ["read"] = "triangle-left",
        ["shutdown"] = "triangle-down",
        ["close"] = "square",
        ["sampling-stopped"] = "line-ns-open",
    };

    /// <summary>
    /// Puts each action on the row of the end that acted: an action of one side goes on that side's rows, one of both
    /// sides on every row that has a side; an action with no side goes on the first row, and one by a side that has no row
    /// is left out rather than drawn on another side's row.
    /// </summary>
    /// <param name="rows">The chart's rows in order, each with the side it shows (null for a row of no particular side).</param>
    /// <param name="events">The actions to mark.</param>
    /// <param name="originMs">The timeline time that becomes 0 on the chart.</param>
    public static List<TimelineMarker> Place(IReadOnlyList<(string Label, string? Side)> rows, IEnumerable<TimelineEvent> events, double originMs)
    {
        var markers = new List<TimelineMarker>();
        if (rows.Count == 0)
        {
            return markers;
        }
        foreach (var e in events)
        {
            var onRows = e.Side is null
                ? [rows[0]]
                : rows.Where(r => r.Side is not null && (r.Side == e.Side || e.Side == EventSides.Both)).ToList();
            markers.AddRange(onRows.Select(r => new TimelineMarker(r.Label, e, originMs)));
        }
        return markers;
    }

    /// <summary>Colour of an outcome marker: green for "ok", red for an error.</summary>
    public static string OutcomeColor(string? outcome) => outcome switch
    {
        null => "#212121",
        "ok" => "#2e7d32",
        _ => "#c62828",
    };

    /// <summary>The fill of a stretch between two samples, where no sample says what the state was.</summary>
    public const string UnknownColor = "#eeeeee";

    /// <summary>The legend entry of the stretches between samples.</summary>
    public const string UnknownName = "not sampled (state unknown)";

    /// <summary>
    /// Cuts a row into what was seen and what was not: a state seen in several samples is a stretch from its first to its last
    /// sample, a state seen in one sample is a mark at that sample, and the time between the last sample of one state and the
    /// next sample (which showed another state, or no socket at all) is unknown; nothing is drawn beyond a sample as if seen.
    /// </summary>
    /// <param name="lane">The row.</param>
    /// <returns>The pieces in time order, in chart time (the lane's origin is 0).</returns>
    public static IReadOnlyList<TimelinePiece> Pieces(TimelineLane lane)
    {
        ArgumentNullException.ThrowIfNull(lane);
        var pieces = new List<TimelinePiece>();
        var spans = lane.History.Spans;
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var from = span.FromMs - lane.OriginMs;
            var seenTo = Math.Max(span.SeenUntilMs, span.FromMs) - lane.OriginMs;
            // A socket missing from one read and seen again later was not gone (a read can miss a socket the kernel is
            // rehashing): the unknown stretch runs to the sample that showed it again, and names that state.
            var nextSpan = i + 1 < spans.Count ? spans[i + 1] : null;
            var to = (nextSpan is not null ? Math.Max(nextSpan.FromMs, span.SeenUntilMs) : Math.Max(span.ToMs, span.SeenUntilMs)) - lane.OriginMs;
            var reads = (First: span.FirstReadFromMs - lane.OriginMs, Last: span.LastReadFromMs - lane.OriginMs);
            pieces.Add(span.Samples <= 1 || seenTo <= from
                ? new TimelinePiece(lane.Label, span.State, TimelinePieceKind.SeenOnce, from, from, span.Samples, null) { FirstReadFromMs = reads.First, LastReadFromMs = reads.First }
                : new TimelinePiece(lane.Label, span.State, TimelinePieceKind.Seen, from, seenTo, span.Samples, null) { FirstReadFromMs = reads.First, LastReadFromMs = reads.Last });
            if (to > seenTo)
            {
                pieces.Add(new TimelinePiece(lane.Label, span.State, TimelinePieceKind.Unknown, seenTo, to, 0, nextSpan?.State));
            }
        }
        return pieces;
    }

    /// <summary>
    /// Builds the figure: per state a bar trace of the stretches it was seen in and a mark for each state seen only briefly
    /// (so the legend names the states), one hatched trace for the unknown time between samples, and one marker trace per event kind.
    /// </summary>
    public static Figure Build(string name, string title, IReadOnlyList<TimelineLane> lanes, IReadOnlyList<TimelineMarker> markers, string xTitle = "ms since the kill")
    {
        var figure = new Figure(name, title);
        var pieces = lanes.SelectMany(Pieces).ToList();
        var extent = pieces.Count == 0 ? 1 : Math.Max(1e-9, pieces.Max(p => p.ToMs) - pieces.Min(p => p.FromMs));
        // A stretch narrower than this many hundredths of the axis would vanish in the picture; it gets a mark as well.
        var visible = extent / 150;
        var unknown = pieces.Where(p => p.Kind == TimelinePieceKind.Unknown).ToList();
        if (unknown.Count > 0)
        {
            var gaps = Traces.Segments(
                UnknownName,
                unknown.Select(p => p.Lane),
                unknown.Select(p => Math.Round(p.FromMs, 2)),
                unknown.Select(p => Math.Round(p.ToMs, 2)),
                UnknownColor,
                unknown.Select(p => string.Create(CultureInfo.InvariantCulture,
                    $"{p.Lane}<br>no sample from {p.FromMs:0.#} to {p.ToMs:0.#}: last seen {p.State}, then {(p.NextState is { } n ? n : "gone from the table")}")));
            // Hatched and thinner than a seen state, so it never reads as one.
            gaps["marker"] = new JsonObject
            {
                ["color"] = UnknownColor,
                ["pattern"] = new JsonObject { ["shape"] = "/", ["fgcolor"] = "#9e9e9e", ["size"] = 6, ["solidity"] = 0.25 },
                ["line"] = new JsonObject { ["color"] = "#bdbdbd", ["width"] = 1 },
            };
            gaps["width"] = 0.45;
            figure.Data.Add(gaps);
        }
        foreach (var group in pieces.Where(p => p.Kind != TimelinePieceKind.Unknown).GroupBy(p => p.State).OrderBy(g => StateOrder(g.Key)))
        {
            var color = StateColors.GetValueOrDefault(group.Key, "#607d8b");
            var stretches = group.Where(p => p.Kind == TimelinePieceKind.Seen).ToList();
            if (stretches.Count > 0)
            {
                var bars = Traces.Segments(
                    group.Key,
                    stretches.Select(p => p.Lane),
                    stretches.Select(p => Math.Round(p.FromMs, 2)),
                    stretches.Select(p => Math.Round(p.ToMs, 2)),
                    color,
                    stretches.Select(p => string.Create(CultureInfo.InvariantCulture,
                        $"{p.Lane}<br>{group.Key} in {p.Samples} samples from {p.FromMs:0.#} to {p.ToMs:0.#}{p.Reads}")));
                bars["legendgroup"] = group.Key;
                figure.Data.Add(bars);
            }
            var marks = group.Where(p => p.Kind == TimelinePieceKind.SeenOnce || p.ToMs - p.FromMs < visible).ToList();
            if (marks.Count > 0)
            {
                var trace = Traces.Markers(
                    group.Key,
                    marks.Select(p => Math.Round(p.FromMs, 2)),
                    marks.Select(p => p.Lane),
                    color,
                    "line-ns",
                    32,
                    marks.Select(p => p.Kind == TimelinePieceKind.SeenOnce
                        ? string.Create(CultureInfo.InvariantCulture, $"{p.Lane}<br>{group.Key} in one sample at {p.FromMs:0.#}{p.Reads}")
                        : string.Create(CultureInfo.InvariantCulture, $"{p.Lane}<br>{group.Key} in {p.Samples} samples from {p.FromMs:0.#} to {p.ToMs:0.#}{p.Reads}")));
                // A line symbol is drawn with the marker's line, not its fill.
                ((JsonObject)trace["marker"]!)["line"] = new JsonObject { ["color"] = color, ["width"] = 5 };
                trace["legendgroup"] = group.Key;
                trace["showlegend"] = stretches.Count == 0;
                figure.Data.Add(trace);
            }
        }
        foreach (var group in markers.GroupBy(m => (m.Event.Kind, m.Event.Outcome)))
        {
            var items = group.ToList();
            var (kind, outcome) = group.Key;
            var trace = Traces.Markers(
                outcome is null ? kind : $"{kind}: {outcome}",
                items.Select(m => Math.Round(m.Event.AtMs - m.OriginMs, 2)),
                items.Select(m => m.Lane),
                OutcomeColor(outcome),
                KindSymbols.TryGetValue(kind, out var symbol) ? symbol : outcome is null || outcome == "ok" ? "circle" : "diamond",
                kind == "kill" ? 14 : 12,
                items.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Event.Label}<br>at {m.Event.AtMs - m.OriginMs:0.#} ms")));
            figure.Data.Add(trace);
        }
        figure.Layout["barmode"] = "overlay";
        figure.Layout["height"] = Math.Max(320, 140 + 44 * lanes.Count);
        var readNote = ReadNote(pieces);
        // The read note is a second line under the axis title; the bottom margin makes room for it.
        figure.Layout["margin"] = new JsonObject { ["l"] = 200, ["r"] = 20, ["t"] = 60, ["b"] = readNote.Length == 0 ? 50 : 80 };
        figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle + readNote }, ["zeroline"] = true };
        figure.Layout["yaxis"] = new JsonObject
        {
            ["type"] = "category",
            ["automargin"] = true,
            ["autorange"] = "reversed",
            ["categoryorder"] = "array",
            ["categoryarray"] = Traces.Strings(lanes.Select(l => l.Label)),
        };
        // plotly's default legend (right of the plot, one entry a line) never overlaps the axes, whatever the height.
        figure.Layout["legend"] = new JsonObject { ["tracegroupgap"] = 4, ["font"] = new JsonObject { ["size"] = 11 } };
        return figure;
    }

    /// <summary>
    /// The axis's note on how samples are timed: a state read from the table held at some moment of the read, which may have
    /// begun before an action the chart marks, so a state can sit just after the action that ended it. Empty when no read's
    /// start was recorded.
    /// </summary>
    public static string ReadNote(IReadOnlyList<TimelinePiece> pieces)
    {
        var longest = pieces
            .SelectMany(p => new[] { p.FromMs - p.FirstReadFromMs, p.Kind == TimelinePieceKind.Seen ? p.ToMs - p.LastReadFromMs : null })
            .OfType<double>()
            .DefaultIfEmpty(double.NaN)
            .Max();
        return double.IsNaN(longest) ? "" : string.Create(CultureInfo.InvariantCulture,
            $"<br><sub>each sample is placed where its read of the table ended; the read began up to {longest:0.#} ms earlier (hover a state for its reads)</sub>");
    }

    private static int StateOrder(string state) => state switch
    {
        "LISTEN" => 0,
        "SYN_SENT" => 1,
        "SYN_RECEIVED" => 2,
        "ESTABLISHED" => 3,
        "FIN_WAIT_1" => 4,
        "FIN_WAIT_2" => 5,
        "CLOSING" => 6,
        "TIME_WAIT" => 7,
        "CLOSE_WAIT" => 8,
        "LAST_ACK" => 9,
        _ => 10,
    };
}
