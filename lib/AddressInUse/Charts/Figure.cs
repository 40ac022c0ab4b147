using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AddressInUse.Display;

namespace AddressInUse.Charts;

/// <summary>A plotly.js figure: traces and a layout, serialised exactly as plotly.js (and Plotly.NET) expect.</summary>
// Figures display as interactive HTML in notebooks and also carry plotly's own MIME type, which the course runner
// and Jupyter front ends draw natively (and which the runner turns into static SVG images).
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = new[] { MimeTypes.Html, MimeTypes.Plotly })]
public sealed partial class Figure : IDisplayable
{
    private string _name;
    private JsonObject _layout = new();

    // The default encoder escapes '<', '>' and '&', so the JSON can be placed inside a <script>
    // element verbatim without "</script>" in a label ever ending the script early.
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false };

    /// <summary>Creates an empty figure whose name (a file-name-safe slug such as "restart-timeline") names its image files.</summary>
    public Figure(string name, string? title = null)
    {
        _name = CheckName(name);
        if (title is not null)
        {
            _layout["title"] = new JsonObject { ["text"] = title };
        }
    }

    /// <summary>The figure's slug, used for image file names and stored as <c>layout.meta.name</c>.</summary>
    public string Name
    {
        get => _name;
        set => _name = CheckName(value);
    }

    /// <summary>The plotly traces, each a JSON object such as <c>{"type":"bar","x":[...],"y":[...]}</c>.</summary>
    public List<JsonObject> Data { get; init; } = new();

    /// <summary>The plotly layout object (title, axes, size, shapes, annotations...).</summary>
    public JsonObject Layout
    {
        get => _layout;
        set => _layout = value ?? throw new ArgumentNullException(nameof(value), "A figure's layout cannot be null; use an empty JsonObject.");
    }

    /// <summary>Returns <c>{"data":[...],"layout":{...}}</c> with <c>layout.meta.name</c> set to <see cref="Name"/>.</summary>
    public string ToJson() => ToJsonObject().ToJsonString(CompactJson);

    /// <summary>Interactive HTML (plotly.js bundled, offline) for notebooks and pages, and plotly's own JSON for front ends and image export.</summary>
    public string? Format(string mimeType) => mimeType switch
    {
        MimeTypes.Html => FigureHtml.ForNotebook(this),
        MimeTypes.Plotly => ToJson(),
        _ => null,
    };

    /// <summary>Returns the figure as a detached JSON object (deep copies, so later edits of this figure do not change it).</summary>
    public JsonObject ToJsonObject()
    {
        var data = new JsonArray();
        foreach (var trace in Data)
        {
            data.Add(trace?.DeepClone() ?? throw new InvalidOperationException($"Figure '{Name}' has a null trace in Data; remove it."));
        }

        var layout = (JsonObject)Layout.DeepClone();
        switch (layout["meta"])
        {
            case null:
                layout["meta"] = new JsonObject { ["name"] = Name };
                break;
            case JsonObject meta:
                meta["name"] = Name;
                break;
            default:
                // plotly allows any value in meta, but the name has to live somewhere findable.
                throw new InvalidOperationException(
                    $"Figure '{Name}': layout.meta is a {layout["meta"]!.GetValueKind()}, but it must be an object so that meta.name can hold the figure name.");
        }

        KeepTitleClearOfToolbar(layout);
        return new JsonObject { ["data"] = data, ["layout"] = layout };
    }

    /// <summary>Room above the title for plotly's toolbar (its mode bar, about 30 px high at the top right), in px.</summary>
    public const int ToolbarHeight = 36;

    /// <summary>
    /// Puts the title at the top left, below the band where plotly's toolbar appears, and makes the top margin tall enough for
    /// both, so the toolbar never covers a title in any chart (placement a chart sets itself is kept).
    /// </summary>
    internal static void KeepTitleClearOfToolbar(JsonObject layout)
    {
        var title = layout["title"] switch
        {
            JsonObject t => t,
            JsonValue v when v.TryGetValue<string>(out var text) => new JsonObject { ["text"] = text },
            _ => null,
        };
        if (title?["text"] is not JsonValue textValue || !textValue.TryGetValue<string>(out var titleText) || titleText.Length == 0)
        {
            return;
        }
        layout["title"] = title;
        title["x"] ??= 0;
        title["xref"] ??= "container";
        title["xanchor"] ??= "left";
        title["y"] ??= 1;
        title["yref"] ??= "container";
        title["yanchor"] ??= "top";
        title["pad"] ??= new JsonObject { ["t"] = ToolbarHeight, ["l"] = 12 };
        var lines = 1 + titleText.Split("<br", StringSplitOptions.None).Length - 1;
        var needed = ToolbarHeight + 24 * lines + 28;
        if (layout["margin"] is not JsonObject margin)
        {
            margin = new JsonObject();
            layout["margin"] = margin;
        }
        // A number the chart set (int or double alike), else plotly's default top margin.
        var top = margin["t"] is JsonValue t2 && t2.GetValueKind() == JsonValueKind.Number
            ? double.Parse(t2.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : 100;
        if (top < needed)
        {
            margin["t"] = needed;
        }
    }

    /// <summary>Reads a figure from plotly JSON; the name comes from <c>layout.meta.name</c>, or is "figure" when absent.</summary>
    public static Figure FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a plotly figure: the text is not valid JSON ({e.Message}).", e);
        }

        if (root is not JsonObject obj)
        {
            throw new FormatException("Not a plotly figure: expected a JSON object {\"data\":[...],\"layout\":{...}}.");
        }

        var data = new List<JsonObject>();
        switch (obj["data"])
        {
            case null:
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    data.Add(array[i]?.DeepClone() as JsonObject
                        ?? throw new FormatException($"Not a plotly figure: data[{i}] is not a JSON object (each trace must be {{\"type\":...}})."));
                }
                break;
            default:
                throw new FormatException("Not a plotly figure: \"data\" must be an array of traces.");
        }

        var layout = obj["layout"] switch
        {
            null => new JsonObject(),
            JsonObject l => (JsonObject)l.DeepClone(),
            _ => throw new FormatException("Not a plotly figure: \"layout\" must be a JSON object."),
        };

        NormaliseTitles(layout);
        var name = (layout["meta"] as JsonObject)?["name"] is JsonValue v && v.TryGetValue<string>(out var s) && NamePattern().IsMatch(s)
            ? s
            : "figure";
        return new Figure(name) { Data = data, Layout = layout };
    }

    // Plotly.js drops a plain string title (layout.title, an axis's title), which older writers such as XPlot.Plotly 4.1.0 still emit: {"text": ...} is the form it draws.
    private static void NormaliseTitles(JsonObject layout)
    {
        StringTitleToObject(layout);
        foreach (var (key, value) in layout.ToList())
        {
            if (value is JsonObject axis && (key.StartsWith("xaxis", StringComparison.Ordinal) || key.StartsWith("yaxis", StringComparison.Ordinal)))
            {
                StringTitleToObject(axis);
            }
        }
    }

    private static void StringTitleToObject(JsonObject holder)
    {
        if (holder["title"] is JsonValue value && value.TryGetValue<string>(out var text))
        {
            holder["title"] = new JsonObject { ["text"] = text };
        }
    }

    private static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > 100 || !NamePattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"Figure name '{name}' is not a file-name-safe slug; use letters, digits, '-', '_' or '.', starting with a letter or digit, e.g. \"restart-timeline\".",
                nameof(name));
        }

        return name;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();
}
