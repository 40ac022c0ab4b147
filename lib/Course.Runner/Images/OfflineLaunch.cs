namespace Course.Runner.Images;

/// <summary>How the runner's browser is kept from sending anything off the machine: a network namespace with only lo where the OS allows, and every outbound feature switched off.</summary>
/// <remarks>The background-networking switches alone were measured not to be enough: Chromium still resolved clients2.google.com,
/// update.googleapis.com and accounts.google.com in every run that drew charts. Inside `unshare --user --map-root-user --net`
/// there is no interface but a loopback that is down, so no packet can leave whatever a feature tries; the pages are files.</remarks>
public static class OfflineLaunch
{
    /// <summary>The browser's switches: no sandbox (the namespace's root is not the machine's), no GPU, and no feature that phones home.</summary>
    public static readonly IReadOnlyList<string> Switches =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-domain-reliability",
        "--disable-client-side-phishing-detection", "--disable-default-apps", "--disable-breakpad", "--no-pings",
        "--dns-prefetch-disable", "--metrics-recording-only", "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
        // Every request goes to a SOCKS proxy on loopback that does not exist, which also resolves host names: no lookup reaches a
        // DNS server. (PuppeteerSharp hands the switches to bash unquoted, so a rule with spaces or '*' cannot be passed.)
        "--proxy-server=socks5://127.0.0.1:9",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--allow-file-access-from-files",
    ];

    /// <summary>The environment variable that, set to 0, starts the browser on the machine's network (with the switches only).</summary>
    public const string IsolationVariable = "COURSE_BROWSER_NETNS";

    /// <summary>
    /// Writes a launcher script into the work folder that starts <paramref name="executable"/> inside a private user and network
    /// namespace, and returns its path; null where that is not possible (not Linux, a snap's confinement, user namespaces refused, or turned off).
    /// </summary>
    public static string? Wrap(string executable, string workFolder)
    {
        if (!OperatingSystem.IsLinux() || BrowserLocator.IsSnap(executable) || Environment.GetEnvironmentVariable(IsolationVariable) == "0" || !AddressInUse.Lab.NetworkLab.Availability.Available)
        {
            return null;
        }

        // exec keeps one process id from the shell through unshare to the browser, and the DevTools pipe (fds 3 and 4) with it.
        var script = Path.Combine(workFolder, "browser-offline.sh");
        File.WriteAllText(script, $"#!/bin/sh\nexec unshare --user --map-root-user --net -- {ShellQuote(executable)} \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
