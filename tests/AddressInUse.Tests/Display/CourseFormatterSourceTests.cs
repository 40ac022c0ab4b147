using System.Reflection;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Experiments;
using AddressInUse.Cases;
using AddressInUse.Display;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Display;

public sealed class CourseFormatterSourceTests
{
    private static string? Format(object value, string mimeType)
    {
        foreach (var formatter in new CourseFormatterSource().CreateTypeFormatters().Cast<CourseFormatter>().Where(f => f.MimeType == mimeType))
        {
            var writer = new StringWriter();
            if (formatter.Format(value, writer))
            {
                return writer.ToString();
            }
        }
        return null;
    }

    [Theory]
    [InlineData(typeof(RestartAfterKillOutcome), MimeTypes.Cases)]
    [InlineData(typeof(Figure), MimeTypes.Plotly)]
    [InlineData(typeof(EnvironmentReport), MimeTypes.Settings)]
    public void Attribute_FoundByNameAsPolyglotDoes_NamesSourceAndPreferredMimeTypes(Type type, string mimeType)
    {
        var attribute = type.GetCustomAttributes(true).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var sourceType = (Type)attribute.GetType().GetProperty("FormatterSourceType")!.GetValue(attribute)!;
        var preferred = (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!;

        Assert.Equal(typeof(CourseFormatterSource), sourceType);
        Assert.Equal(MimeTypes.Html, preferred[0]);
        Assert.Contains(mimeType, preferred);
        Assert.NotNull(sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Public | BindingFlags.Instance));
    }

    [Fact]
    public void Format_EnvironmentReport_HtmlTableAndSettingsJson()
    {
        var report = new EnvironmentReport("linux", "Test OS", "6.1", ".NET 10", new[] { new OsSetting("net.ipv4.tcp_fin_timeout", "60", "orphan timeout") });

        var html = Format(report, MimeTypes.Html);
        var json = JsonNode.Parse(Format(report, MimeTypes.Settings)!)!.AsObject();

        Assert.Contains("<table", html);
        Assert.Contains("net.ipv4.tcp_fin_timeout", html);
        Assert.Equal("60", json["net.ipv4.tcp_fin_timeout"]!.GetValue<string>());
    }

    [Fact]
    public void Format_Figure_PlotlyJsonWithDataLayoutAndName()
    {
        var figure = new Figure("restart-timeline", "A title");
        figure.Data.Add(Traces.Bars("b", new[] { "x" }, new[] { 1.0 }));

        var json = JsonNode.Parse(Format(figure, MimeTypes.Plotly)!)!.AsObject();

        Assert.Equal("bar", json["data"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("restart-timeline", json["layout"]!["meta"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Format_ValueTheCourseDoesNotKnow_EveryRichFormatterDeclines()
    {
        Assert.Null(Format(new Uri("http://example.invalid"), MimeTypes.Html));
        Assert.Null(Format(new Uri("http://example.invalid"), MimeTypes.Cases));
        Assert.Equal("http://example.invalid/", Format(new Uri("http://example.invalid"), MimeTypes.Text));
    }

    [Fact]
    public void EnvironmentReport_ReadOnThisMachine_NamesTheOsAndItsSettings()
    {
        var report = EnvironmentReport.Read();

        Assert.Equal(AddressInUse.Native.OsInfo.FolderName(AddressInUse.Native.OsInfo.Current), report.Os);
        Assert.NotEmpty(report.Settings);
        if (OperatingSystem.IsLinux())
        {
            Assert.Matches(@"^\d+$", report.Settings.Single(s => s.Name == "net.ipv4.tcp_fin_timeout").Value!);
            Assert.Matches(@"^\d+ \d+$", report.Settings.Single(s => s.Name == "net.ipv4.ip_local_port_range").Value!);
        }
    }

    /// <summary>Every concrete type that asks for the course's formatters, itself or through its base (as .NET Interactive reads it).</summary>
    public static TheoryData<Type> DisplayedTypes()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(CourseFormatterSource).Assembly.GetTypes()
                     .Where(t => !t.IsAbstract && t.GetCustomAttributes(true).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute"))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DisplayedTypes))]
    public void DisplayedType_EveryMimeTypeItPrefers_IsRenderedByTheTypeItself(Type type)
    {
        // The formatter source knows no value type: a type that prefers a MIME type must offer it itself.
        var preferred = PreferredMimeTypes(type);
        foreach (var mimeType in preferred)
        {
            var renders = mimeType switch
            {
                MimeTypes.Html => typeof(IHtmlRenderable).IsAssignableFrom(type) || typeof(IDisplayable).IsAssignableFrom(type),
                MimeTypes.Cases => typeof(IHasCases).IsAssignableFrom(type) || typeof(IDisplayable).IsAssignableFrom(type),
                _ => typeof(IDisplayable).IsAssignableFrom(type),
            };
            Assert.True(renders, $"{type.Name} prefers {mimeType} but renders it through none of IHtmlRenderable, IHasCases, IDisplayable.");
        }
    }

    [Theory]
    [InlineData(typeof(RestartAfterKillOutcome), new[] { MimeTypes.Html, MimeTypes.Cases })]
    [InlineData(typeof(AddressInUse.Experiments.Matrix.PortSharingMatrix), new[] { MimeTypes.Html, MimeTypes.Cases })]
    [InlineData(typeof(AddressInUse.Experiments.RestartComparison), new[] { MimeTypes.Html })]
    [InlineData(typeof(AddressInUse.Experiments.Matrix.BindRule), new[] { MimeTypes.Html })]
    [InlineData(typeof(AddressInUse.Diagnosis.PortDiagnosis), new[] { MimeTypes.Html })]
    public void ResultType_AttributeInheritedFromItsBase_PrefersTheBasesMimeTypes(Type type, string[] expected)
    {
        Assert.False(type.GetCustomAttributes(false).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute"), $"{type.Name} repeats the attribute its base carries.");
        Assert.Equal(expected, PreferredMimeTypes(type));
    }

    [Fact]
    public void OwnAttribute_OnlyWhereNoBaseResultOffersItsMimeTypes()
    {
        // HtmlResult and MeasuredResult register the formatter source once for their MIME types; a type repeats it only for MIME types of its own.
        var bases = new[] { PreferredMimeTypes(typeof(HtmlResult)), PreferredMimeTypes(typeof(MeasuredResult)) };
        var repeating = typeof(CourseFormatterSource).Assembly.GetTypes()
            .Where(t => t != typeof(HtmlResult) && t != typeof(MeasuredResult) && t.GetCustomAttributes(false).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute"))
            .Where(t => bases.Any(b => b.SequenceEqual(PreferredMimeTypes(t))))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(repeating);
        Assert.True(typeof(IHasCases).IsAssignableFrom(typeof(MeasuredResult)) && typeof(IHtmlRenderable).IsAssignableFrom(typeof(HtmlResult)));
    }

    private static string[] PreferredMimeTypes(Type type)
    {
        var attribute = type.GetCustomAttributes(true).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        return (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!;
    }
}
