using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Native;
using AddressInUse.Display;

namespace AddressInUse.Observation;

/// <summary>One OS setting that changes what the experiments show, read (never changed) from the OS.</summary>
/// <param name="Name">The setting's own name, e.g. "net.ipv4.tcp_fin_timeout".</param>
/// <param name="Value">Its current value as the OS prints it, or null when it could not be read.</param>
/// <param name="Meaning">What it controls, in one sentence.</param>
public sealed record OsSetting(string Name, string? Value, string Meaning);

/// <summary>Where the experiments run: OS, kernel, .NET and the TCP settings in force.</summary>
/// <param name="Os">"linux", "macos" or "windows".</param>
/// <param name="Description">The OS description from the runtime.</param>
/// <param name="Kernel">The kernel release (Linux, macOS) or build (Windows).</param>
/// <param name="Dotnet">The .NET runtime running the experiments.</param>
/// <param name="Settings">The TCP settings read from the OS.</param>
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = new[] { MimeTypes.Html, MimeTypes.Settings })]
public sealed record EnvironmentReport(string Os, string Description, string Kernel, string Dotnet, IReadOnlyList<OsSetting> Settings) : IHtmlRenderable, IDisplayable
{
    /// <summary>The settings JSON (<see cref="MimeTypes.Settings"/>) that the runner records in results.json; HTML comes from <see cref="ToHtml"/>.</summary>
    public string? Format(string mimeType) => mimeType == MimeTypes.Settings ? SettingsJson() : null;

    /// <summary>Reads the report for this machine.</summary>
    public static EnvironmentReport Read()
    {
        var family = OsInfo.Current;
        return new EnvironmentReport(
            OsInfo.CurrentName,
            RuntimeInformation.OSDescription,
            OsInfo.Kernel(),
            RuntimeInformation.FrameworkDescription,
            ReadSettings(family));
    }

    /// <summary>The settings as a JSON object (name → value), the application/vnd.course.settings+json payload.</summary>
    public string SettingsJson()
    {
        var json = new JsonObject();
        foreach (var setting in Settings)
        {
            json[setting.Name] = setting.Value;
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Each setting as a case that a chapter's verdict can rest on (scenario "settings", case = the setting's name, step "read",
    /// outcome "ok" or "unreadable", the value in <see cref="Cases.CaseRecord.Settings"/> and details). Readings, not experiments: a sentence
    /// judged on them says what was read.
    /// </summary>
    public IReadOnlyList<Cases.CaseRecord> SettingCases => Settings.Select(s =>
        new Cases.CaseRecord(Cases.Scenarios.Settings, s.Name, "os", "tcp", "none",
            new Cases.SocketSide("", "tcp", Array.Empty<string>()), new Cases.SocketSide("", "tcp", Array.Empty<string>()),
            "read", s.Value is null ? "unreadable" : "ok", null)
        {
            Settings = s.Value is null ? null : new Dictionary<string, string> { [s.Name] = s.Value },
            Details = new JsonObject { ["value"] = s.Value, ["meaning"] = s.Meaning },
        }).ToList();

    /// <summary>A setting's value as a number, or null when it is absent, unreadable or not one number.</summary>
    public double? Number(string name) =>
        Settings.FirstOrDefault(s => s.Name == name)?.Value is { } v && double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A short table of the environment.</summary>
    public string ToHtml() => Html.Table(
        new[] { "this machine", "" },
        new[]
        {
            new[] { "OS", Html.E($"{Os} — {Description}") },
            new[] { "kernel", Html.E(Kernel) },
            new[] { ".NET", Html.E(Dotnet) },
        }.Concat(Settings.Select(s => new[] { Html.E(s.Name), $"<code>{Html.E(s.Value ?? "(not readable)")}</code> <small>{Html.E(s.Meaning)}</small>" })));

    /// <summary>The report as plain text.</summary>
    public override string ToString() =>
        $"{Os} ({Description}), kernel {Kernel}, {Dotnet}" + string.Concat(Settings.Select(s => $"{Environment.NewLine}  {s.Name} = {s.Value ?? "(not readable)"}"));

    /// <summary>Reads the TCP settings that change the experiments' outcomes on the given OS.</summary>
    public static IReadOnlyList<OsSetting> ReadSettings(OsFamily family) => family switch
    {
        OsFamily.Linux => new[]
        {
            Proc("net.ipv4.tcp_fin_timeout", "how long an orphaned FIN_WAIT_2 socket lives (not the TIME_WAIT length, which is fixed at 60 s)"),
            Proc("net.ipv4.tcp_tw_reuse", "whether new outgoing connections may reuse a TIME_WAIT 4-tuple (0 off, 1 on, 2 loopback only)"),
            Proc("net.ipv4.tcp_timestamps", "TCP timestamps, which tcp_tw_reuse relies on"),
            Proc("net.ipv4.ip_local_port_range", "the ephemeral ports the OS hands out for port 0 and outgoing connections"),
            Proc("net.ipv4.tcp_max_tw_buckets", "the most TIME_WAIT sockets the kernel keeps before it closes further connections without TIME_WAIT"),
        },
        OsFamily.MacOS => new[]
        {
            Sysctl("net.inet.tcp.msl", "maximum segment lifetime in ms; TIME_WAIT lasts 2 × MSL"),
            Sysctl("net.inet.ip.portrange.first", "first ephemeral port"),
            Sysctl("net.inet.ip.portrange.last", "last ephemeral port"),
        },
        OsFamily.Windows => new[]
        {
            WindowsRegistry("TcpTimedWaitDelay", "TIME_WAIT length in seconds (absent: the Windows default)"),
        },
        _ => Array.Empty<OsSetting>(),
    };

    private static OsSetting Proc(string name, string meaning)
    {
        var path = "/proc/sys/" + name.Replace('.', '/');
        string? value = null;
        try
        {
            value = string.Join(' ', File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return new OsSetting(name, value, meaning);
    }

    private static OsSetting Sysctl(string name, string meaning) => new(name, RunQuietly("sysctl", "-n", name), meaning);

    private static OsSetting WindowsRegistry(string name, string meaning)
    {
        string? value = null;
        if (OperatingSystem.IsWindows())
        {
            using var key = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters");
            value = key?.GetValue(name)?.ToString() ?? "(not set: Windows default)";
        }
        return new OsSetting(@"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\" + name, value, meaning);
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? RunQuietly(string program, params string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
