using System.Globalization;
using System.Text.Json.Nodes;
using AddressInUse.Observation;

namespace AddressInUse.Charts;

/// <summary>One row of a timeline chart: a socket's sampled states under a label, shifted so 0 is a chosen moment.</summary>
/// <param name="Label">The row's label, e.g. "no options · server end :5000".</param>
/// <param name="History">The socket's sampled states.</param>
/// <param name="OriginMs">The timeline time that becomes 0 on the chart (e.g. the kill).</param>
public sealed record TimelineLane(string Label, SocketHistory History, double OriginMs);

/// <summary>A marker on a timeline chart row: one of the experiment's own actions.</summary>
/// <param name="Lane">The row label it sits on.</param>
/// <param name="Event">The action.</param>
/// <param name="OriginMs">The timeline time that becomes 0 on the chart.</param>
public sealed record TimelineMarker(string Lane, TimelineEvent Event, double OriginMs);

/// <summary>Draws sampled TCP states as coloured stretches per socket, with the experiment's actions as markers.</summary>
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

    /// <summary>Builds the figure: one bar trace per state (so the legend names the states) and one marker trace per event kind.</summary>
    public static Figure Build(string name, string title, IReadOnlyList<TimelineLane> lanes, IReadOnlyList<TimelineMarker> markers, string xTitle = "ms since the kill")
    {
        var figure = new Figure(name, title);
        var byState = lanes
            .SelectMany(lane => lane.History.Spans.Select(span => (lane, span)))
            .GroupBy(x => x.span.State)
            .OrderBy(g => StateOrder(g.Key));
        foreach (var group in byState)
        {
            var items = group.ToList();
            figure.Data.Add(Traces.Segments(
                group.Key,
                items.Select(i => i.lane.Label),
                items.Select(i => Math.Round(i.span.FromMs - i.lane.OriginMs, 2)),
                // A state seen in a single sample still gets a visible sliver.
                items.Select(i => Math.Round(Math.Max(i.span.ToMs, i.span.FromMs + 0.5) - i.lane.OriginMs, 2)),
                StateColors.GetValueOrDefault(group.Key, "#607d8b"),
                items.Select(i => string.Create(CultureInfo.InvariantCulture,
                    $"{i.lane.Label}<br>{group.Key} from {i.span.FromMs - i.lane.OriginMs:0.#} to {i.span.ToMs - i.lane.OriginMs:0.#} ms ({i.span.Samples} samples)"))));
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
        figure.Layout["margin"] = new JsonObject { ["l"] = 200, ["r"] = 20, ["t"] = 60, ["b"] = 50 };
        figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle }, ["zeroline"] = true };
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
