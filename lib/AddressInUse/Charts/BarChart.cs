using System.Globalization;
using System.Text.Json.Nodes;

namespace AddressInUse.Charts;

/// <summary>One series of a bar chart: one value per category, drawn in one colour.</summary>
/// <param name="Name">The legend entry, e.g. "server-side TIME_WAIT".</param>
/// <param name="Values">One value per category, in the categories' order.</param>
/// <param name="Color">The bars' colour, or null for plotly's default.</param>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, string? Color = null);

/// <summary>Draws measured counts as grouped vertical bars, each bar labelled with its value, sized to fit the page column.</summary>
public static class BarChart
{
    /// <summary>Builds the figure: one bar trace per series, grouped by category.</summary>
    /// <param name="name">The figure's slug (names its image files).</param>
    /// <param name="title">The figure title.</param>
    /// <param name="categories">The groups along the x axis; a label may break lines with &lt;br&gt;.</param>
    /// <param name="series">The series, each with one value per category.</param>
    /// <param name="valueTitle">What the y axis counts, e.g. "TIME_WAIT entries".</param>
    /// <param name="logScale">A logarithmic y axis, for values of very different sizes (a count against a range).</param>
    /// <exception cref="ArgumentException">No category or series, or a series whose length differs from the categories'.</exception>
    public static Figure Build(string name, string title, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series, string valueTitle, bool logScale = false)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        if (categories.Count == 0 || series.Count == 0)
        {
            throw new ArgumentException($"Bar chart '{name}' needs at least one category and one series; got {categories.Count} and {series.Count}.", nameof(series));
        }
        foreach (var s in series)
        {
            if (s.Values.Count != categories.Count)
            {
                throw new ArgumentException($"Bar chart '{name}': series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories; give one value per category.", nameof(series));
            }
            if (logScale && s.Values.Any(v => v <= 0))
            {
                throw new ArgumentException($"Bar chart '{name}': series '{s.Name}' has a value ≤ 0, which a logarithmic axis cannot draw; use a linear axis.", nameof(series));
            }
        }

        var figure = new Figure(name, title);
        foreach (var s in series)
        {
            var trace = Traces.Bars(s.Name, categories, s.Values, s.Color);
            // The value printed on the bar, so a reader needs no hover (and a static image shows it too).
            trace["text"] = Traces.Strings(s.Values.Select(v => v.ToString("#,0.##", CultureInfo.InvariantCulture)));
            trace["textposition"] = "outside";
            trace["cliponaxis"] = false;
            trace["hoverinfo"] = "x+y+name";
            figure.Data.Add(trace);
        }
        figure.Layout["barmode"] = "group";
        figure.Layout["width"] = Math.Min(MatrixChart.MaxWidth, 360 + 150 * categories.Count);
        figure.Layout["height"] = 440;
        figure.Layout["margin"] = new JsonObject { ["l"] = 80, ["r"] = 20, ["t"] = 70, ["b"] = 90 };
        figure.Layout["xaxis"] = new JsonObject { ["type"] = "category", ["automargin"] = true };
        var yaxis = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = valueTitle },
            ["type"] = logScale ? "log" : "linear",
            ["automargin"] = true,
        };
        if (logScale)
        {
            // Powers of ten only, from 1 up to room for the labels above the tallest bar (a log axis's range is in decades).
            var top = Math.Ceiling(Math.Log10(series.Max(s => s.Values.Max())) + 0.15);
            yaxis["dtick"] = 1;
            yaxis["range"] = new JsonArray(0, top);
        }
        else
        {
            yaxis["rangemode"] = "tozero";
        }
        figure.Layout["yaxis"] = yaxis;
        figure.Layout["legend"] = new JsonObject { ["orientation"] = "h", ["x"] = 0, ["y"] = 1.0, ["yanchor"] = "bottom" };
        return figure;
    }
}
