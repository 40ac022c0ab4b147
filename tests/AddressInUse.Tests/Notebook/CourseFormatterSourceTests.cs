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

    /// <summary>Every type that asks for the course's formatters.</summary>
    public static TheoryData<Type> DisplayedTypes()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(CourseFormatterSource).Assembly.GetTypes()
                     .Where(t => t.GetCustomAttributes(false).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute"))
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
        var attribute = type.GetCustomAttributes(false).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var preferred = (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!;
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

    [Fact]
    public void FormatterSource_Dependencies_NothingAboveDisplay()
    {
        // Display is the bottom of the lab: the formatter source and its helpers may name results (cases),
        // never an experiment, chart, observation or child-server type.
        var forbidden = new[] { "AddressInUse.Experiments", "AddressInUse.Charts", "AddressInUse.Observation", "AddressInUse.Child" };
        var display = typeof(CourseFormatterSource).Assembly.GetTypes().Where(t => t.Namespace == "AddressInUse.Notebook").ToList();
        var named = new List<string>();
        foreach (var type in display)
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                IEnumerable<Type> types = member switch
                {
                    MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    FieldInfo f => [f.FieldType],
                    PropertyInfo p => [p.PropertyType],
                    _ => [],
                };
                named.AddRange(types.Where(t => forbidden.Any(n => t.Namespace?.StartsWith(n, StringComparison.Ordinal) == true)).Select(t => $"{type.Name}.{member.Name}: {t.FullName}"));
            }

            // A switch over value types compiles to isinst checks the members do not show; they leave lambdas and locals in the IL.
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                var body = method.GetMethodBody();
                named.AddRange(body?.LocalVariables.Select(l => l.LocalType).Where(t => forbidden.Any(n => t.Namespace?.StartsWith(n, StringComparison.Ordinal) == true))
                    .Select(t => $"{type.Name}.{method.Name} local: {t.FullName}") ?? []);
                var il = body?.GetILAsByteArray() ?? [];
                for (var i = 0; i + 4 < il.Length; i++)
                {
                    // isinst (0x75) and castclass (0x74) take a type token.
                    if (il[i] is 0x75 or 0x74)
                    {
                        try
                        {
                            var checkedType = type.Module.ResolveType(BitConverter.ToInt32(il, i + 1));
                            if (forbidden.Any(n => checkedType.Namespace?.StartsWith(n, StringComparison.Ordinal) == true))
                            {
                                named.Add($"{type.Name}.{method.Name} checks for {checkedType.FullName}");
                            }
                        }
                        catch (ArgumentException)
                        {
                            // Not a type token: a byte inside another instruction.
                        }
                    }
                }
            }
        }

        Assert.Empty(named);
    }
}
