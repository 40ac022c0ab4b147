using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Runner.Notebooks;

namespace Course.Runner.Formatting;

/// <summary>Turns a value into a MIME bundle the way the Polyglot C# kernel would: convention formatters first, then plain text.</summary>
public static class ValueFormatter
{
    /// <summary>The text shown for a null value (what .NET Interactive shows).</summary>
    public const string NullText = "<null>";

    /// <summary>How many items of a list are shown before "...".</summary>
    public const int ListExpansionLimit = 20;

    /// <summary>Formats a value; when mimeTypes are given, exactly those representations are produced.</summary>
    /// <exception cref="FormattingException">A formatter failed, produced invalid JSON for a JSON MIME type, or a requested MIME type has no formatter.</exception>
    public static MimeBundle Format(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        var requested = mimeTypes is { Count: > 0 } ? mimeTypes : null;
        var bundle = new MimeBundle();
        if (value is null)
        {
            return bundle.SetText(MimeBundle.PlainText, NullText);
        }

        var conventions = ConventionFormatters.For(value.GetType());
        var wanted = requested ?? conventions?.PreferredMimeTypes ?? DefaultRichMimeTypes(value);
        foreach (var mime in wanted)
        {
            if (mime.Equals(MimeBundle.PlainText, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var text = conventions?.TryFormat(value, mime) ?? BuiltInFormat(value, mime);
            if (text is null)
            {
                if (requested is not null)
                {
                    throw new FormattingException(
                        $"No formatter produces {mime} for a {value.GetType().FullName}. "
                        + "Fix: call display(value) without MIME types, or give the type a formatter for that MIME type.");
                }

                continue;
            }

            Add(bundle, mime, text, value, conventions);
        }

        if (requested is null || requested.Contains(MimeBundle.PlainText, StringComparer.OrdinalIgnoreCase))
        {
            bundle.SetText(MimeBundle.PlainText, conventions?.TryFormat(value, MimeBundle.PlainText) ?? PlainText(value));
        }

        return bundle;
    }

    /// <summary>The plain-text form of a value: lists as "[ a, b, c ]", everything else via ToString().</summary>
    public static string PlainText(object? value)
    {
        switch (value)
        {
            case null:
                return NullText;
            case string s:
                return s;
            case IFormattable formattable:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            case IEnumerable items when !HasOwnToString(value.GetType()):
                var parts = new List<string>();
                var more = false;
                foreach (var item in items)
                {
                    if (parts.Count == ListExpansionLimit)
                    {
                        more = true;
                        break;
                    }

                    parts.Add(item is IEnumerable and not string ? PlainText(item) : item?.ToString() ?? NullText);
                }

                return parts.Count == 0 ? "[ ]" : $"[ {string.Join(", ", parts)}{(more ? " ..." : "")} ]";
            default:
                return value.ToString() ?? "";
        }
    }

    private static void Add(MimeBundle bundle, string mime, string text, object value, ConventionFormatters? conventions)
    {
        if (!MimeBundle.IsJsonMimeType(mime))
        {
            bundle.SetText(mime, text);
            return;
        }

        try
        {
            var json = JsonNode.Parse(text);
            if (json is null)
            {
                throw new JsonException("the text is the JSON literal null");
            }

            bundle.SetJson(mime, json);
        }
        catch (JsonException e)
        {
            var who = conventions is null ? "The built-in formatter" : $"The {mime} formatter from {conventions.SourceType.FullName}";
            throw new FormattingException(
                $"{who} wrote text that is not JSON for a {value.GetType().Name} ({e.Message}), but {mime} must hold JSON. "
                + "Fix: make the formatter write valid JSON (e.g. with System.Text.Json).", e);
        }
    }

    private static IReadOnlyList<string> DefaultRichMimeTypes(object value) =>
        value is HtmlContent || IsRecordList(value) ? ["text/html"] : [];

    private static string? BuiltInFormat(object value, string mime)
    {
        if (!mime.Equals("text/html", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return value switch
        {
            HtmlContent html => html.Html,
            IEnumerable items when IsRecordList(value) => RecordTable(items),
            _ => null,
        };
    }

    private static bool HasOwnToString(Type type)
    {
        var toString = type.GetMethod("ToString", Type.EmptyTypes);
        return toString is not null && toString.DeclaringType != typeof(object)
               && toString.DeclaringType!.Namespace?.StartsWith("System", StringComparison.Ordinal) != true;
    }

    private static bool IsRecordList(object value)
    {
        if (value is string || value is not IEnumerable)
        {
            return false;
        }

        var elementType = value.GetType().GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Select(i => i.GetGenericArguments()[0])
            .FirstOrDefault();
        return elementType is not null && IsRecordType(elementType);
    }

    private static bool IsRecordType(Type type) =>
        !type.IsPrimitive && type != typeof(string) && type != typeof(decimal) && !type.IsEnum
        && !typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(object)
        && RecordProperties(type).Length > 0;

    private static PropertyInfo[] RecordProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && p.Name != "EqualityContract")
            .ToArray();

    private static string RecordTable(IEnumerable items)
    {
        var rows = items.Cast<object?>().Take(ListExpansionLimit + 1).ToList();
        var elementType = rows.FirstOrDefault(r => r is not null)?.GetType();
        if (elementType is null)
        {
            return "<table></table>";
        }

        var properties = RecordProperties(elementType);
        var html = new StringBuilder("<table><thead><tr>");
        foreach (var p in properties)
        {
            html.Append("<th>").Append(WebUtility.HtmlEncode(p.Name)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var row in rows.Take(ListExpansionLimit))
        {
            html.Append("<tr>");
            foreach (var p in properties)
            {
                object? cell;
                try
                {
                    cell = row is null || !p.DeclaringType!.IsInstanceOfType(row) ? null : p.GetValue(row);
                }
                catch (TargetInvocationException e)
                {
                    cell = $"({e.InnerException?.GetType().Name})";
                }

                html.Append("<td>").Append(WebUtility.HtmlEncode(PlainText(cell))).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
        if (rows.Count > ListExpansionLimit)
        {
            html.Append($"<p>(first {ListExpansionLimit} rows shown)</p>");
        }

        return html.ToString();
    }
}
