using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Course.Runner.Results;

/// <summary>Describes the machine the chapters ran on, for results.json and the per-OS output folders.</summary>
public static class OsInfo
{
    /// <summary>The OS family folder name: "linux", "macos" or "windows".</summary>
    public static string Family =>
        OperatingSystem.IsWindows() ? "windows"
        : OperatingSystem.IsMacOS() ? "macos"
        : OperatingSystem.IsLinux() ? "linux"
        : RuntimeInformation.OSDescription.Split(' ')[0].ToLowerInvariant();

    /// <summary>The kernel release: /proc/sys/kernel/osrelease on Linux, `uname -r` on macOS, the OS version on Windows.</summary>
    public static string Kernel()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/sys/kernel/osrelease"))
            {
                return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            }

            if (OperatingSystem.IsMacOS())
            {
                using var uname = Process.Start(new ProcessStartInfo("uname", "-r") { RedirectStandardOutput = true, UseShellExecute = false });
                if (uname is not null)
                {
                    var release = uname.StandardOutput.ReadToEnd().Trim();
                    uname.WaitForExit(5000);
                    if (release.Length > 0)
                    {
                        return release;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // Fall through to the version the runtime reports; a missing uname must not fail a whole run.
        }

        return Environment.OSVersion.Version.ToString();
    }

    /// <summary>The "os" object of results.json.</summary>
    public static JsonObject Describe() => new()
    {
        ["family"] = Family,
        ["description"] = RuntimeInformation.OSDescription,
        ["version"] = Environment.OSVersion.VersionString,
        ["kernel"] = Kernel(),
    };
}
