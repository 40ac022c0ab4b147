using System.Net;

namespace AddressInUse.Display;

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
}
