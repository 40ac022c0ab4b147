using AddressInUse.Notebook;

namespace AddressInUse.Charts;

// Figures display as interactive HTML in notebooks and also carry plotly's own MIME type, which the course runner
// and Jupyter front ends draw natively (and which the runner turns into static SVG images).
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = new[] { MimeTypes.Html, MimeTypes.Plotly })]
public sealed partial class Figure
{
}
