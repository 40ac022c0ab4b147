using System.Text.Json.Nodes;

namespace AddressInUse.Charts;

/// <summary>Small builders for common plotly traces; each returns a plain JSON object that can be edited further.</summary>
public static class Traces
{
    /// <summary>Horizontal segments from <paramref name="starts"/> to <paramref name="ends"/> on category rows (a Gantt-style bar trace).</summary>
    public static JsonObject Segments(
        string name,
        IEnumerable<string> rows,
        IEnumerable<double> starts,
        IEnumerable<double> ends,
        string? color = null,
        IEnumerable<string>? hoverText = null)
    {
        var rowList = rows.ToList();
        var startList = starts.ToList();
        var endList = ends.ToList();
        if (rowList.Count != startList.Count || rowList.Count != endList.Count)
        {
            throw new ArgumentException(
                $"Segments '{name}': rows ({rowList.Count}), starts ({startList.Count}) and ends ({endList.Count}) must have the same length.");
        }

        // plotly draws a horizontal bar from `base` to `base + x`, so x carries the length.
        var trace = new JsonObject
        {
            ["type"] = "bar",
            ["orientation"] = "h",
            ["name"] = name,
            ["y"] = Strings(rowList),
            ["base"] = Numbers(startList),
            ["x"] = Numbers(startList.Zip(endList, (s, e) => e - s)),
        };
        SetColor(trace, color);
        SetHover(trace, hoverText);
        return trace;
    }

    /// <summary>Markers at numeric x positions on category rows (for example events on a timeline).</summary>
    public static JsonObject Markers(
        string name,
        IEnumerable<double> x,
        IEnumerable<string> y,
        string? color = null,
        string symbol = "circle",
        int size = 10,
        IEnumerable<string>? hoverText = null)
        => MarkerTrace(name, Numbers(x), Strings(y), color, symbol, size, hoverText);

    /// <summary>Markers at numeric (x, y) positions.</summary>
    public static JsonObject Markers(
        string name,
        IEnumerable<double> x,
        IEnumerable<double> y,
        string? color = null,
        string symbol = "circle",
        int size = 10,
        IEnumerable<string>? hoverText = null)
        => MarkerTrace(name, Numbers(x), Numbers(y), color, symbol, size, hoverText);

    /// <summary>A line through numeric (x, y) points; NaN values leave a gap.</summary>
    public static JsonObject Lines(string name, IEnumerable<double> x, IEnumerable<double> y, string? color = null)
    {
        var trace = new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "lines",
            ["name"] = name,
            ["x"] = Numbers(x),
            ["y"] = Numbers(y),
        };
        if (color is not null)
        {
            trace["line"] = new JsonObject { ["color"] = color };
        }

        return trace;
    }

    /// <summary>Vertical bars, one per category.</summary>
    public static JsonObject Bars(string name, IEnumerable<string> categories, IEnumerable<double> values, string? color = null)
    {
        var trace = new JsonObject
        {
            ["type"] = "bar",
            ["name"] = name,
            ["x"] = Strings(categories),
            ["y"] = Numbers(values),
        };
        SetColor(trace, color);
        return trace;
    }

    /// <summary>A heatmap of <paramref name="z"/> rows (one per y category); NaN cells are left empty.</summary>
    public static JsonObject Heatmap(
        string name,
        IEnumerable<IEnumerable<double>> z,
        IEnumerable<string>? x = null,
        IEnumerable<string>? y = null,
        string colorscale = "Viridis")
    {
        var rows = new JsonArray();
        foreach (var row in z)
        {
            rows.Add(Numbers(row));
        }

        var trace = new JsonObject
        {
            ["type"] = "heatmap",
            ["name"] = name,
            ["z"] = rows,
            ["colorscale"] = colorscale,
        };
        if (x is not null)
        {
            trace["x"] = Strings(x);
        }

        if (y is not null)
        {
            trace["y"] = Strings(y);
        }

        return trace;
    }

    /// <summary>A JSON array of numbers in which NaN and infinities become null, which plotly draws as a gap.</summary>
    public static JsonArray Numbers(IEnumerable<double> values)
    {
        // JSON has no NaN; null is plotly's own way of saying "no value here".
        var array = new JsonArray();
        foreach (var v in values)
        {
            array.Add(double.IsFinite(v) ? JsonValue.Create(v) : null);
        }

        return array;
    }

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var v in values)
        {
            array.Add(JsonValue.Create(v));
        }

        return array;
    }

    private static JsonObject MarkerTrace(string name, JsonArray x, JsonArray y, string? color, string symbol, int size, IEnumerable<string>? hoverText)
    {
        var marker = new JsonObject { ["symbol"] = symbol, ["size"] = size };
        if (color is not null)
        {
            marker["color"] = color;
        }

        var trace = new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = name,
            ["x"] = x,
            ["y"] = y,
            ["marker"] = marker,
        };
        SetHover(trace, hoverText);
        return trace;
    }

    private static void SetColor(JsonObject trace, string? color)
    {
        if (color is not null)
        {
            trace["marker"] = new JsonObject { ["color"] = color };
        }
    }

    private static void SetHover(JsonObject trace, IEnumerable<string>? hoverText)
    {
        if (hoverText is not null)
        {
            // hovertext (not text) so the labels appear on hover only, not printed on every bar.
            trace["hovertext"] = Strings(hoverText);
            trace["hoverinfo"] = "text+name";
        }
    }
}
