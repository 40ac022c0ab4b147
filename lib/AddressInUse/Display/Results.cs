using AddressInUse.Cases;

namespace AddressInUse.Display;

/// <summary>
/// A result a notebook shows as an HTML block: the one place that names the course's formatter source for HTML-only results.
/// </summary>
/// <remarks>
/// .NET Interactive finds a formatter source through the attribute on the displayed value's type, read with inheritance
/// (<c>Type.GetCustomAttributes(true)</c>, classes only: an attribute on an interface is never seen), so the results derive
/// from this record instead of each repeating the attribute.
/// </remarks>
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = [MimeTypes.Html])]
public abstract record HtmlResult : IHtmlRenderable
{
    /// <summary>The result as an HTML fragment.</summary>
    public abstract string ToHtml();
}

/// <summary>
/// A result a notebook shows as an HTML block that also carries its measured cases, which the course runner gathers into
/// results.json: the one place that names the course's formatter source for measured results.
/// </summary>
/// <remarks>A derived type's attribute replaces its base's (the attribute allows one per type), so these prefer HTML and cases.</remarks>
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = [MimeTypes.Html, MimeTypes.Cases])]
public abstract record MeasuredResult : HtmlResult, IHasCases
{
    /// <summary>The measured cases.</summary>
    public abstract IEnumerable<CaseRecord> Cases { get; }
}
