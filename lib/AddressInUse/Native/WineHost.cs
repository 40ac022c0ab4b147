using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>
/// Tells whether this Windows process really runs under Wine on another OS, so that Wine's outcomes are never
/// presented as Windows' (Wine maps Winsock onto the host's sockets: an emulation, not Windows).
/// </summary>
public static class WineHost
{
    /// <summary>The folder and column name for results measured under Wine.</summary>
    public const string FolderName = "wine";

    private static readonly Lazy<(string? Version, string? System, string? Release)> Detected = new(Detect);

    /// <summary>Whether this process is a Windows program running under Wine.</summary>
    public static bool IsWine => Detected.Value.Version is not null;

    /// <summary>Wine's version ("8.0"), or null when not under Wine.</summary>
    public static string? Version => Detected.Value.Version;

    /// <summary>The host OS's name as Wine reports it ("Linux"), or null when not under Wine.</summary>
    public static string? HostSystem => Detected.Value.System;

    /// <summary>The host kernel release as Wine reports it ("6.1.0-18-amd64"), or null when not under Wine.</summary>
    public static string? HostRelease => Detected.Value.Release;

    /// <summary>The label every Wine result carries, or null when not under Wine.</summary>
    public static string? Label => IsWine ? DescribeEmulation(Version!, HostSystem, HostRelease) : null;

    /// <summary>"Windows code path under Wine 8.0 on Linux 6.1.0 — an emulation, not Windows".</summary>
    public static string DescribeEmulation(string wineVersion, string? hostSystem, string? hostRelease) =>
        $"Windows code path under Wine {wineVersion} on {(string.IsNullOrWhiteSpace(hostSystem) ? "an unknown host" : hostSystem)}"
        + (string.IsNullOrWhiteSpace(hostRelease) ? "" : " " + hostRelease)
        + " — an emulation, not Windows";

    private static unsafe (string?, string?, string?) Detect()
    {
        // Wine's ntdll exports wine_get_version and wine_get_host_version; Windows' ntdll has neither.
        if (!OperatingSystem.IsWindows() || !NativeLibrary.TryLoad("ntdll.dll", out var ntdll))
        {
            return (null, null, null);
        }
        if (!NativeLibrary.TryGetExport(ntdll, "wine_get_version", out var getVersion))
        {
            return (null, null, null);
        }
        var version = Marshal.PtrToStringAnsi(((delegate* unmanaged<IntPtr>)getVersion)());
        string? system = null, release = null;
        if (NativeLibrary.TryGetExport(ntdll, "wine_get_host_version", out var getHost))
        {
            IntPtr sysname = IntPtr.Zero, rel = IntPtr.Zero;
            ((delegate* unmanaged<IntPtr*, IntPtr*, void>)getHost)(&sysname, &rel);
            system = Marshal.PtrToStringAnsi(sysname);
            release = Marshal.PtrToStringAnsi(rel);
        }
        return (version ?? "unknown", system, release);
    }
}
