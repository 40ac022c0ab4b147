using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace AddressInUse.Native;

/// <summary>The machine the course runs on: its <see cref="OsFamily"/>, per-OS folder name and kernel release (the one description the lab, the runner and results.json share).</summary>
public static class OsInfo
{
    /// <summary>The family of the operating system this process runs on.</summary>
    public static OsFamily Current { get; } =
        OperatingSystem.IsLinux() ? OsFamily.Linux
        : OperatingSystem.IsMacOS() ? OsFamily.MacOS
        : OperatingSystem.IsWindows() ? OsFamily.Windows
        : OsFamily.Other;

    /// <summary>The folder name used for per-OS outputs: "linux", "macos" or "windows".</summary>
    public static string FolderName(OsFamily family) => family switch
    {
        OsFamily.Linux => "linux",
        OsFamily.MacOS => "macos",
        OsFamily.Windows => "windows",
        _ => RuntimeInformation.OSDescription.Split(' ')[0].ToLowerInvariant(),
    };

    /// <summary>
    /// The name this process's results go under: "linux", "macos", "windows", or "wine" for the Windows code path
    /// under Wine, which is an emulation and must never be filed as Windows.
    /// </summary>
    public static string CurrentName { get; } = Current == OsFamily.Windows && WineHost.IsWine ? WineHost.FolderName : FolderName(Current);

    /// <summary>The folder name of this machine's OS: "linux", "macos", "windows", or "wine" under Wine (out/&lt;os&gt;/, images/&lt;os&gt;/).</summary>
    public static string Family => CurrentName;

    /// <summary>The kernel release: /proc/sys/kernel/osrelease on Linux, `uname -r` on macOS, the OS version elsewhere.</summary>
    public static string Kernel()
    {
        try
        {
            if (Current == OsFamily.Linux && File.Exists("/proc/sys/kernel/osrelease"))
            {
                return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            }

            if (Current == OsFamily.MacOS)
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

    /// <summary>The "os" object of results.json: family, description, version and kernel.</summary>
    public static JsonObject Describe() => new()
    {
        ["family"] = Family,
        ["description"] = RuntimeInformation.OSDescription,
        ["version"] = Environment.OSVersion.VersionString,
        ["kernel"] = Kernel(),
    };

    /// <summary>Throws a clear error when the course's native socket code has no implementation for this OS.</summary>
    public static void EnsureSupported()
    {
        if (Current == OsFamily.Other)
        {
            throw new PlatformNotSupportedException(
                $"The course's socket experiments run on Linux, macOS and Windows; this is '{RuntimeInformation.OSDescription}'. " +
                "Read the chapter's HTML page (generated on a supported OS) instead.");
        }
    }
}
