using System.Security.Cryptography;
using System.Text;
using AddressInUse.Charts;

namespace AddressInUse.Tests.Charts;

/// <summary>The embedded plotly.js bundle is the pinned, unmodified npm file.</summary>
public sealed class PlotlyBundleTests
{
    /// <summary>The version pinned in lib/AddressInUse/Charts/README.md.</summary>
    private const string PinnedVersion = "4.1.1";

    /// <summary>SHA-256 of plotly-cartesian.min.js in plotly.js-cartesian-dist-min@4.1.1.</summary>
    private const string PinnedSha256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a";

    [Fact]
    public void Version_EmbeddedBundle_IsThePinnedVersion()
    {
        Assert.Equal(PinnedVersion, PlotlyBundle.Version);
    }

    [Fact]
    public void Script_EmbeddedBundle_DefinesWindowPlotly()
    {
        var script = PlotlyBundle.Script;

        Assert.True(script.Length > 1_000_000, $"the bundle is only {script.Length} characters");
        Assert.Contains("window.Plotly = Plotly", script);
        Assert.Contains("plotly.js (cartesian - minified) v" + PinnedVersion, script[..300]);
    }

    [Fact]
    public void Script_EmbeddedBundle_IsByteForByteThePinnedNpmFile()
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(PlotlyBundle.Script))).ToLowerInvariant();

        Assert.Equal(PinnedSha256, hash);
    }

    [Fact]
    public void License_EmbeddedText_IsTheMitLicense()
    {
        Assert.StartsWith("MIT License", PlotlyBundle.License);
        Assert.Contains("Plotly", PlotlyBundle.License);
    }
}
