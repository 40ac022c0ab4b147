namespace Course.Runner.Images;

/// <summary>Thrown when no Chromium-family browser can be found; the message says how to install or point to one.</summary>
public sealed class BrowserNotFoundException : Exception
{
    /// <summary>Creates the exception with a message that names the fix.</summary>
    public BrowserNotFoundException(string message)
        : base(message)
    {
    }
}

/// <summary>Thrown when the headless browser fails to start, crashes, times out or never finishes the page.</summary>
public sealed class BrowserRunException : Exception
{
    /// <summary>Creates the exception; <paramref name="browserOutput"/> is the end of the browser's own error output, if any.</summary>
    public BrowserRunException(string message, string? browserOutput = null, Exception? inner = null)
        : base(string.IsNullOrWhiteSpace(browserOutput) ? message : $"{message}\nLast browser output:\n{browserOutput}", inner)
    {
        BrowserOutput = browserOutput ?? "";
    }

    /// <summary>The last lines the browser wrote to its error output (noise such as D-Bus warnings removed).</summary>
    public string BrowserOutput { get; }
}

/// <summary>Thrown when one or more figures could not be exported; the message names each figure and the browser's error.</summary>
public sealed class SvgExportException : Exception
{
    /// <summary>Creates the exception from (file name, problem) pairs.</summary>
    public SvgExportException(IReadOnlyList<(string FileName, string Problem)> failures)
        : base(Describe(failures))
    {
        Failures = failures;
    }

    /// <summary>Each failed figure's file name (or "(page)" for errors no figure can be blamed for) and its problem.</summary>
    public IReadOnlyList<(string FileName, string Problem)> Failures { get; }

    private static string Describe(IReadOnlyList<(string FileName, string Problem)> failures) =>
        $"SVG export failed for {failures.Count} figure(s); nothing was written:\n" +
        string.Join("\n", failures.Select(f => $"  {f.FileName}: {f.Problem}"));
}
