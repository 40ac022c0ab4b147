using System.Globalization;
using System.Text.Json.Nodes;
using AddressInUse.Capture;

namespace AddressInUse.Charts;

/// <summary>
/// A sequence diagram of one captured connection: the two ends as vertical lines, time downwards, every segment an arrow
/// labelled with its flags, each end's derived state as a coloured band beside its line, and every state change written at
/// the row of the segment (or the program's action) that caused it.
/// </summary>
public static class SequenceChart
{
    private const double ClientX = 0.33, ServerX = 0.67, BandWidth = 0.03;

    // A row of the diagram: a segment (index into the trace), an action, or a run of segments left out.
    private sealed record Row(double AtUs, int Segment, TracedAction? Action, int Skipped);

    /// <summary>Builds the diagram; <paramref name="rfc1337"/> and <paramref name="timeWaitSkipped"/> are passed to the state derivation (<see cref="TcpStateMachine.Infer"/>).</summary>
    public static Figure Build(string name, string title, PacketTrace trace, bool rfc1337 = false, string clientLabel = "client", string serverLabel = "server", bool timeWaitSkipped = false)
    {
        var figure = new Figure(name, title);
        var client = TcpStateMachine.Infer(trace, "client", rfc1337, timeWaitSkipped);
        var server = TcpStateMachine.Infer(trace, "server", rfc1337, timeWaitSkipped);
        var rows = Rows(trace, client.Concat(server).Select(c => c.Cause).Where(c => c >= 0).ToHashSet());
        int RowOf(double atUs, int cause, TracedAction? action = null)
        {
            if (cause >= 0)
            {
                return rows.FindIndex(r => r.Segment == cause);
            }
            var index = action is null ? -1 : rows.FindIndex(r => ReferenceEquals(r.Action, action) || r.Action == action);
            return index >= 0 ? index : Math.Max(0, rows.FindIndex(r => r.AtUs >= atUs));
        }
        var shapes = new JsonArray();
        var annotations = new JsonArray();
        var bottom = rows.Count + 0.5;
        foreach (var x in new[] { ClientX, ServerX })
        {
            shapes.Add(new JsonObject { ["type"] = "line", ["x0"] = x, ["x1"] = x, ["y0"] = -0.8, ["y1"] = bottom, ["line"] = new JsonObject { ["color"] = "#424242", ["width"] = 2 } });
        }
        annotations.Add(Text(ClientX, -1.3, $"<b>{clientLabel}</b><br>{trace.Client}", 12));
        annotations.Add(Text(ServerX, -1.3, $"<b>{serverLabel}</b><br>{trace.Server}", 12));
        // State bands and the change written beside the row that caused it.
        foreach (var (changes, x, side) in new[] { (client, ClientX - BandWidth, -1), (server, ServerX + BandWidth, 1) })
        {
            for (var i = 0; i < changes.Count; i++)
            {
                var change = changes[i];
                var from = i == 0 ? -0.8 : RowOf(change.AtUs, change.Cause) - 0.5;
                var to = i + 1 < changes.Count ? RowOf(changes[i + 1].AtUs, changes[i + 1].Cause) - 0.5 : bottom;
                shapes.Add(new JsonObject
                {
                    ["type"] = "rect", ["x0"] = x - BandWidth / 2, ["x1"] = x + BandWidth / 2, ["y0"] = from, ["y1"] = to,
                    ["fillcolor"] = TimelineChart.StateColors.GetValueOrDefault(TcpStateMachine.KernelName(change.State), "#607d8b"), ["line"] = new JsonObject { ["width"] = 0 }, ["layer"] = "below",
                });
                var textX = x + side * (BandWidth / 2 + 0.01);
                annotations.Add(new JsonObject
                {
                    ["x"] = textX, ["y"] = i == 0 ? -0.5 : from + 0.5, ["xref"] = "x", ["yref"] = "y", ["showarrow"] = false,
                    ["xanchor"] = side < 0 ? "right" : "left", ["align"] = side < 0 ? "right" : "left", ["font"] = new JsonObject { ["size"] = 11 },
                    ["text"] = $"<b>{change.State}</b><br><span style=\"font-size:9px;color:#616161\">{Escape(change.Because)}</span>",
                });
            }
        }
        var hoverX = new List<double>();
        var hoverY = new List<double>();
        var hoverText = new List<string>();
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Skipped > 0)
            {
                annotations.Add(Text(0.5, r, $"⋮ {row.Skipped} more data and ACK segments, no state changed ⋮", 11, "#616161"));
                continue;
            }
            if (row.Action is { } action)
            {
                annotations.Add(new JsonObject
                {
                    ["x"] = action.Side == "client" ? ClientX : ServerX, ["y"] = r, ["xref"] = "x", ["yref"] = "y", ["showarrow"] = false,
                    // Inside the two lines, where an action's row has no arrow, so the state labels outside stay readable.
                    ["xanchor"] = action.Side == "client" ? "left" : "right", ["xshift"] = action.Side == "client" ? 8 : -8,
                    ["text"] = $"<i>{Escape(action.Label)}</i>", ["font"] = new JsonObject { ["size"] = 10, ["color"] = "#1a237e" },
                    ["bgcolor"] = "rgba(255,255,255,0.85)",
                });
                hoverX.Add(action.Side == "client" ? ClientX : ServerX);
                hoverY.Add(r);
                hoverText.Add(string.Create(CultureInfo.InvariantCulture, $"{action.Side}: {Escape(action.Label)}<br>at {action.AtUs / 1000:0.000} ms"));
                continue;
            }
            var s = trace.Segments[row.Segment];
            var (x0, x1) = s.From == "client" ? (ClientX, ServerX) : (ServerX, ClientX);
            // A dropped segment stops halfway: it left its sender and never reached the other end.
            var end = s.Dropped ? x0 + (x1 - x0) * 0.55 : x1;
            var color = s.Dropped ? "#c62828" : s.Injected ? "#6a1b9a" : s.Has("RST") ? "#d84315" : s.Has("SYN") || s.Has("FIN") ? "#0d47a1" : "#546e7a";
            annotations.Add(new JsonObject
            {
                ["x"] = end, ["y"] = r + (s.Dropped ? 0.2 : 0.35), ["ax"] = x0, ["ay"] = r - 0.1, ["xref"] = "x", ["yref"] = "y", ["axref"] = "x", ["ayref"] = "y",
                ["showarrow"] = true, ["arrowhead"] = s.Dropped ? 6 : 2, ["arrowsize"] = 1.1, ["arrowwidth"] = s.Has("SYN") || s.Has("FIN") || s.Has("RST") ? 2.2 : 1.4,
                ["arrowcolor"] = color, ["text"] = "",
            });
            annotations.Add(Text((x0 + end) / 2, r + 0.05, Escape(s.Label), 10, color));
            hoverX.Add((x0 + end) / 2);
            hoverY.Add(r + 0.1);
            hoverText.Add(string.Create(CultureInfo.InvariantCulture,
                $"{s.From} → {s.To} {s.Flags}<br>at {s.AtUs / 1000:0.000} ms<br>seq {s.Seq} ack {s.Ack} win {s.Window} len {s.Length}" +
                $"{(s.TsVal is { } v ? $"<br>TSval {v} TSecr {s.TsEcr}" : "<br>no timestamp option")}{(s.Dropped ? "<br>dropped by the lab's nft rule" : "")}{(s.Injected ? "<br>injected by the lab (raw socket)" : "")}"));
        }
        figure.Data.Add(new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "markers", ["name"] = "segments and actions (hover for details)",
            ["x"] = Traces.Numbers(hoverX), ["y"] = Traces.Numbers(hoverY), ["hovertext"] = Traces.Strings(hoverText), ["hoverinfo"] = "text",
            ["marker"] = new JsonObject { ["size"] = 6, ["color"] = "rgba(0,0,0,0.25)" }, ["showlegend"] = false,
        });
        // One empty trace per state shown, so the legend names the band colours.
        foreach (var state in client.Concat(server).Select(c => c.State).Distinct())
        {
            figure.Data.Add(new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "markers", ["name"] = state, ["x"] = new JsonArray((JsonNode?)null), ["y"] = new JsonArray((JsonNode?)null),
                ["marker"] = new JsonObject { ["symbol"] = "square", ["size"] = 12, ["color"] = TimelineChart.StateColors.GetValueOrDefault(TcpStateMachine.KernelName(state), "#607d8b") },
            });
        }
        annotations.Add(new JsonObject
        {
            ["x"] = 0, ["y"] = 1, ["xref"] = "paper", ["yref"] = "paper", ["xanchor"] = "right", ["yanchor"] = "bottom", ["xshift"] = -6, ["showarrow"] = false,
            ["text"] = "ms since<br>connect()<br>(one row per<br>event: rows are<br>not to scale)", ["font"] = new JsonObject { ["size"] = 10, ["color"] = "#616161" },
        });
        figure.Layout["shapes"] = shapes;
        figure.Layout["annotations"] = annotations;
        figure.Layout["height"] = Math.Max(360, 150 + 34 * rows.Count);
        figure.Layout["margin"] = new JsonObject { ["l"] = 70, ["r"] = 10, ["t"] = 100, ["b"] = 30 };
        figure.Layout["xaxis"] = new JsonObject { ["range"] = new JsonArray(0, 1), ["visible"] = false, ["fixedrange"] = true };
        figure.Layout["yaxis"] = new JsonObject
        {
            ["range"] = new JsonArray(bottom + 0.2, -1.9), ["zeroline"] = false, ["showgrid"] = false,
            ["tickvals"] = Traces.Numbers(Enumerable.Range(0, rows.Count).Select(i => (double)i)),
            ["ticktext"] = Traces.Strings(rows.Select(r => r.Skipped > 0 ? "⋮" : string.Create(CultureInfo.InvariantCulture, $"{r.AtUs / 1000:0.000}"))),
        };
        figure.Layout["legend"] = new JsonObject { ["orientation"] = "h", ["y"] = -0.02, ["yanchor"] = "top", ["font"] = new JsonObject { ["size"] = 11 } };
        return figure;
    }

    // Segments and actions in time order (actions first at equal times); long runs of segments that change no state are folded.
    private static List<Row> Rows(PacketTrace trace, HashSet<int> causes)
    {
        var all = trace.Actions.Select(a => new Row(a.AtUs, -1, a, 0))
            .Concat(trace.Segments.Select((s, i) => new Row(s.AtUs, i, null, 0)))
            .OrderBy(r => r.AtUs).ThenBy(r => r.Action is null ? 1 : 0).ToList();
        bool Plain(Row r) => r.Action is null && !causes.Contains(r.Segment) && trace.Segments[r.Segment] is var s
            && !s.Has("SYN") && !s.Has("FIN") && !s.Has("RST") && !s.Dropped && !s.Injected;
        var rows = new List<Row>();
        for (var i = 0; i < all.Count;)
        {
            var j = i;
            while (j < all.Count && Plain(all[j]))
            {
                j++;
            }
            if (j - i > 8)
            {
                rows.AddRange(all.Skip(i).Take(3));
                rows.Add(new Row(all[i + 3].AtUs, -1, null, j - i - 6));
                rows.AddRange(all.Skip(j - 3).Take(3));
                i = j;
            }
            else if (j > i)
            {
                rows.AddRange(all.Skip(i).Take(j - i));
                i = j;
            }
            else
            {
                rows.Add(all[i]);
                i++;
            }
        }
        return rows;
    }

    private static JsonObject Text(double x, double y, string text, int size, string color = "#212121") => new()
    {
        ["x"] = x, ["y"] = y, ["xref"] = "x", ["yref"] = "y", ["showarrow"] = false, ["text"] = text,
        ["font"] = new JsonObject { ["size"] = size, ["color"] = color }, ["bgcolor"] = "rgba(255,255,255,0.8)",
    };

    // Labels come from the course's own code, but plotly renders a little HTML: keep angle brackets literal.
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
