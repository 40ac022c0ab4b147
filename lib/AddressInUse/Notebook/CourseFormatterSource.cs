using System.Net;
using AddressInUse.Charts;
using AddressInUse.Experiments;
using AddressInUse.Observation;
using AddressInUse.Results;

namespace AddressInUse.Notebook;

/// <summary>Creates the formatters that display the course's values in Polyglot Notebooks and in the course runner.</summary>
public sealed class CourseFormatterSource
{
    /// <summary>One formatter per MIME type; each handles the course types it knows and declines the rest.</summary>
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new CourseFormatter(MimeTypes.Html, HtmlFor);
        yield return new CourseFormatter(MimeTypes.Plotly, value => value is Figure figure ? figure.ToJson() : null);
        yield return new CourseFormatter(MimeTypes.Cases, CasesFor);
        yield return new CourseFormatter(MimeTypes.Settings, SettingsFor);
        yield return new CourseFormatter(MimeTypes.Verdicts, value => value switch
        {
            TextVerdict verdict => verdict.ToJson(),
            TextVerdicts verdicts => verdicts.ToJson(),
            _ => null,
        });
        yield return new CourseFormatter(MimeTypes.Text, value => value.ToString());
    }

    private static string? HtmlFor(object value) => value switch
    {
        IHtmlRenderable renderable => renderable.ToHtml(),
        Figure figure => FigureHtml.ForNotebook(figure),
        RestartAfterKillOutcome outcome => Html.RestartOutcome(outcome),
        RestartComparison comparison => Html.RestartTable(comparison),
        _ => null,
    };

    private static string? CasesFor(object value) => value switch
    {
        IHasCases hasCases => CaseRecord.ToJsonArray(hasCases.Cases),
        RestartAfterKillOutcome outcome => CaseRecord.ToJsonArray(new[] { outcome.ToCase() }),
        _ => null,
    };

    private static string? SettingsFor(object value) => value is EnvironmentReport report ? report.SettingsJson() : null;
}

/// <summary>A formatter in the shape .NET Interactive's convention expects: a MIME type and Format(object, TextWriter).</summary>
public sealed class CourseFormatter
{
    private readonly Func<object, string?> _format;

    /// <summary>Creates a formatter for one MIME type.</summary>
    public CourseFormatter(string mimeType, Func<object, string?> format)
    {
        MimeType = mimeType;
        _format = format;
    }

    /// <summary>The MIME type this formatter writes.</summary>
    public string MimeType { get; }

    /// <summary>The type of values it handles (all of the course's; it declines the ones it does not know).</summary>
    public Type Type => typeof(object);

    /// <summary>Writes the value in this MIME type and returns true, or returns false if it does not handle the value.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        var text = instance is null ? null : _format(instance);
        if (text is null)
        {
            return false;
        }
        writer.Write(text);
        return true;
    }
}

/// <summary>A value that renders itself as an HTML fragment.</summary>
public interface IHtmlRenderable
{
    /// <summary>The value as an HTML fragment.</summary>
    string ToHtml();
}

/// <summary>A value that carries measured cases for results.json.</summary>
public interface IHasCases
{
    /// <summary>The measured cases.</summary>
    IEnumerable<CaseRecord> Cases { get; }
}

/// <summary>Small HTML building blocks shared by the course's displays.</summary>
public static class Html
{
    /// <summary>HTML-encodes text.</summary>
    public static string E(object? text) => WebUtility.HtmlEncode(text?.ToString() ?? "");

    /// <summary>A coloured badge for an outcome: green for "ok", red for an errno.</summary>
    public static string Badge(string outcome, string? title = null) =>
        $"<span title=\"{E(title ?? outcome)}\" style=\"display:inline-block;padding:1px 8px;border-radius:10px;font-family:monospace;color:#fff;background:{(outcome == "ok" ? "#2e7d32" : "#c62828")}\">{E(outcome)}</span>";

    /// <summary>A simple bordered table with a header row.</summary>
    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rowsOfHtml)
    {
        var head = string.Concat(headers.Select(h => $"<th style=\"text-align:left;padding:4px 8px;border-bottom:2px solid #999\">{E(h)}</th>"));
        var body = string.Concat(rowsOfHtml.Select(r =>
            "<tr>" + string.Concat(r.Select(c => $"<td style=\"padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top\">{c}</td>")) + "</tr>"));
        return $"<table style=\"border-collapse:collapse;font-size:14px\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>";
    }

    /// <summary>Option read-backs as "SO_REUSEADDR=1, SO_REUSEPORT=0".</summary>
    public static string Readback(IReadOnlyDictionary<string, int>? values) =>
        values is null || values.Count == 0 ? "—" : E(string.Join(", ", values.Select(kv => $"{kv.Key}={kv.Value}")));

    /// <summary>The card shown for one A1 run.</summary>
    public static string RestartOutcome(RestartAfterKillOutcome o)
    {
        var restart = o.Restart.Listening
            ? Badge("ok", "the restarted server is listening")
            : Badge(o.Restart.Result.Error!.Name, o.Restart.Result.Error.Description) + $" errno {o.Restart.Result.Error.Number} at {E(o.Restart.Result.Step)}()";
        var rows = new[]
        {
            new[] { "server", E(o.Case.Label) },
            new[] { "port", E(o.Port) },
            new[] { "old connection at restart", $"server end {E(o.ServerEnd)}: <b>{E(o.ServerEndStateAtRestart?.ToString() is null ? "gone" : Observation.TcpStateNames.ToCanonicalName(o.ServerEndStateAtRestart.Value))}</b>, client end {E(o.ClientEnd)}: <b>{E(o.ClientEndStateAtRestart is null ? "gone" : Observation.TcpStateNames.ToCanonicalName(o.ClientEndStateAtRestart.Value))}</b>" },
            new[] { "restart (a new process, same port)", restart },
            new[] { "options read back (getsockopt)", Readback(o.Restart.Readback) },
            new[] { "restart began after the kill", $"{o.RestartAtMs - o.KillAtMs:0} ms" },
        };
        var notes = o.Notes.Count == 0 ? "" : $"<p><i>Note: {E(string.Join("; ", o.Notes))}</i></p>";
        return $"<div class=\"course-outcome\">{Table(new[] { "A1 restart after kill", "" }, rows)}{notes}</div>";
    }

    /// <summary>The table of chapter 01's three restart attempts.</summary>
    public static string RestartTable(RestartComparison c) => Table(
        new[] { "server", "API", "options set", "read back after restart", "old server end", "restart", "errno" },
        c.Outcomes.Select(o => new[]
        {
            E(o.Case.Label),
            E(o.Case.Api == Child.BindApi.Native ? "native bind()" : ".NET Socket.Bind"),
            E(o.Case.Options == Native.SocketOptionSet.None ? "none" : string.Join(", ", Native.SocketOptionNames.ToNames(o.Case.Options))),
            Readback(o.Restart.Readback),
            E(o.ServerEndStateAtRestart is null ? "gone" : Observation.TcpStateNames.ToCanonicalName(o.ServerEndStateAtRestart.Value)),
            Badge(o.Outcome),
            E(o.Restart.Result.Error?.Number.ToString() ?? "—"),
        }));
}
