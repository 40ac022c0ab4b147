namespace AddressInUse.Display;

/// <summary>
/// A value that displays itself in MIME types of its own choosing (a figure's plotly JSON, a report's settings JSON).
/// The one generic <see cref="CourseFormatterSource"/> asks it; display code knows no value type.
/// </summary>
public interface IDisplayable
{
    /// <summary>The value as <paramref name="mimeType"/> (see <see cref="MimeTypes"/>), or null when it does not offer that type.</summary>
    string? Format(string mimeType);
}

/// <summary>A value that renders itself as an HTML fragment.</summary>
public interface IHtmlRenderable
{
    /// <summary>The value as an HTML fragment.</summary>
    string ToHtml();
}
