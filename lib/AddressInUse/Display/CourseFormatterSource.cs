using AddressInUse.Cases;

namespace AddressInUse.Display;

/// <summary>
/// Creates the formatters that display the course's values in Polyglot Notebooks, Jupyter and the course runner.
/// .NET Interactive finds it through <see cref="TypeFormatterSourceAttribute"/> on each value type (matched by name).
/// It knows no value type: every value renders itself through <see cref="IDisplayable"/>, <see cref="IHtmlRenderable"/>
/// and <see cref="IHasCases"/>, so display depends on nothing above it.
/// </summary>
public sealed class CourseFormatterSource
{
    /// <summary>One formatter per MIME type; each handles the values that offer that type and declines the rest.</summary>
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new CourseFormatter(MimeTypes.Html, HtmlFor);
        yield return new CourseFormatter(MimeTypes.Plotly, value => Offered(value, MimeTypes.Plotly));
        yield return new CourseFormatter(MimeTypes.Cases, CasesFor);
        yield return new CourseFormatter(MimeTypes.Settings, value => Offered(value, MimeTypes.Settings));
        yield return new CourseFormatter(MimeTypes.Verdicts, value => Offered(value, MimeTypes.Verdicts));
        yield return new CourseFormatter(MimeTypes.Text, value => Offered(value, MimeTypes.Text) ?? value.ToString());
    }

    private static string? Offered(object value, string mimeType) => value is IDisplayable displayable ? displayable.Format(mimeType) : null;

    private static string? HtmlFor(object value) =>
        Offered(value, MimeTypes.Html) ?? (value is IHtmlRenderable renderable ? renderable.ToHtml() : null);

    private static string? CasesFor(object value) =>
        Offered(value, MimeTypes.Cases) ?? (value is IHasCases hasCases ? CaseRecord.ToJsonArray(hasCases.Cases) : null);
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
