using System.Text.RegularExpressions;

namespace AddressInUse.Charts;

/// <summary>The pinned plotly.js bundle embedded in this library, so charts draw without any CDN.</summary>
public static class PlotlyBundle
{
    private const string ScriptResource = "AddressInUse.Charts.plotly.min.js";
    private const string LicenseResource = "AddressInUse.Charts.plotly.LICENSE.txt";

    // Reading 1.5 MB from the resource is only worth doing when a chart is actually drawn.
    private static readonly Lazy<string> LazyScript = new(() => ReadResource(ScriptResource));
    private static readonly Lazy<string> LazyLicense = new(() => ReadResource(LicenseResource));
    private static readonly Lazy<string> LazyVersion = new(() => ParseVersion(LazyScript.Value));

    /// <summary>The plotly.js version of the bundle, read from its header (for example "4.1.1").</summary>
    public static string Version => LazyVersion.Value;

    /// <summary>The minified plotly.js source, which defines <c>window.Plotly</c> when run in a page.</summary>
    public static string Script => LazyScript.Value;

    /// <summary>The MIT licence text that plotly.js is distributed under.</summary>
    public static string License => LazyLicense.Value;

    private static string ReadResource(string name)
    {
        using var stream = typeof(PlotlyBundle).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException(
                $"The embedded resource '{name}' is missing from {typeof(PlotlyBundle).Assembly.GetName().Name}.dll; " +
                "rebuild the library (lib/AddressInUse/AddressInUse.csproj embeds Charts/plotly.min.js).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string ParseVersion(string script)
    {
        // The dist bundles start with a banner such as "plotly.js (cartesian - minified) v4.1.1".
        var header = script.Length > 400 ? script[..400] : script;
        var match = Regex.Match(header, @"plotly\.js[^\n]*?\bv(\d+\.\d+\.\d+[\w.-]*)");
        return match.Success
            ? match.Groups[1].Value
            : throw new InvalidOperationException("The embedded plotly.js bundle has no version banner; re-vendor it from the npm dist package.");
    }
}
