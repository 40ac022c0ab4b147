using System.Text;
using System.Text.Json.Nodes;
using AddressInUse.Display;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Charts;

/// <summary>Finds a chapter's plotly figures and names their image files.</summary>
public static class ChartCollector
{
    /// <summary>Every plotly figure in the executed notebook, named "&lt;chapter-stem&gt;-&lt;name&gt;.svg" where name is layout.meta.name or chart-N.</summary>
    public static IReadOnlyList<(string fileName, string figureJson)> Collect(InteractiveDocument executed, string chapterStem)
    {
        var charts = new List<(string, string)>();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var number = 0;
        foreach (var output in executed.Elements.SelectMany(c => c.Outputs).MimeData())
        {
            if (!output.TryGetJson(MimeTypes.Plotly, out var figure) || figure is not JsonObject obj)
            {
                continue;
            }

            number++;
            var metaName = obj["layout"]?["meta"]?["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? Sanitize(s) : "";
            var name = metaName.Length > 0 ? metaName : $"chart-{number}";
            var fileName = $"{chapterStem}-{name}.svg";
            for (var n = 2; !used.Add(fileName); n++)
            {
                // Two figures with the same meta.name would overwrite each other's image.
                fileName = $"{chapterStem}-{name}-{n}.svg";
            }

            charts.Add((fileName, obj.ToJsonString()));
        }

        return charts;
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name.Trim())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        }

        return builder.ToString().Trim('-', '.');
    }
}
