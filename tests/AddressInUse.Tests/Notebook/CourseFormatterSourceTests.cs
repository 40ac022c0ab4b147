using System.Reflection;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Experiments;
using AddressInUse.Notebook;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Notebook;

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
}
