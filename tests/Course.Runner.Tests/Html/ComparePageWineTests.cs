using System.Text.Json.Nodes;
using AddressInUse.Verdicts;
using Course.Runner.Html;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Html;

/// <summary>The compare page shows Wine as its own labelled column, never as Windows.</summary>
public sealed class ComparePageWineTests : IDisposable
{
    private const string Label = "Windows code path under Wine 8.0 on Linux 6.1.0 — an emulation, not Windows";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Render_LinuxAndWine_WineColumnIsLabelledEmulationAndWindowsStaysMissing()
    {
        Write("linux", "EADDRINUSE", 98, null);
        Write("wine", "ok", null, Label);

        var html = ComparePageRenderer.Render(OsComparison.Load(_temp.Path), "Course");

        Assert.Contains("<th class=\"emulation\" title=\"" + System.Net.WebUtility.HtmlEncode(Label) + "\">wine (emulation, not Windows)</th>", html, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(Label), html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"emulation\">ok</td>", html, StringComparison.Ordinal);
        Assert.Matches("Missing: [^<]*windows", html);
        Assert.DoesNotContain("<tr class=\"differs\">", html, StringComparison.Ordinal);
    }

    private void Write(string os, string outcome, int? errno, string? emulation)
    {
        var c = new JsonObject { ["scenario"] = "A1", ["case"] = "restart-no-options", ["api"] = "native", ["outcome"] = outcome };
        if (errno is not null)
        {
            c["errno"] = errno;
        }
        var doc = new JsonObject { ["os"] = new JsonObject { ["family"] = os, ["description"] = "TEST DATA — not a real measurement" }, ["cases"] = new JsonArray(c) };
        if (emulation is not null)
        {
            doc["emulation"] = emulation;
        }
        Directory.CreateDirectory(Path.Combine(_temp.Path, os));
        File.WriteAllText(Path.Combine(_temp.Path, os, "results.json"), doc.ToJsonString());
    }
}
