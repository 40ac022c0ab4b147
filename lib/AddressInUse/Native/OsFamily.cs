using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>The operating-system families whose socket behaviour the course compares.</summary>
public enum OsFamily
{
    /// <summary>Linux (glibc or musl).</summary>
    Linux,
    /// <summary>macOS (Darwin, BSD sockets).</summary>
    MacOS,
    /// <summary>Windows (Winsock).</summary>
    Windows,
    /// <summary>Anything else; experiments refuse to run there.</summary>
    Other,
}

/// <summary>Finds out which <see cref="OsFamily"/> this process runs on.</summary>
public static class OsInfo
{
    /// <summary>The family of the operating system this process runs on.</summary>
    public static OsFamily Current { get; } =
        OperatingSystem.IsLinux() ? OsFamily.Linux
        : OperatingSystem.IsMacOS() ? OsFamily.MacOS
        : OperatingSystem.IsWindows() ? OsFamily.Windows
        : OsFamily.Other;

    /// <summary>
    /// The name this process's results go under: "linux", "macos", "windows", or "wine" for the Windows code path
    /// under Wine, which is an emulation and must never be filed as Windows.
    /// </summary>
    public static string CurrentName { get; } = Current == OsFamily.Windows && WineHost.IsWine ? WineHost.FolderName : FolderName(Current);

    /// <summary>The folder name used for per-OS outputs: "linux", "macos" or "windows".</summary>
    public static string FolderName(OsFamily family) => family switch
    {
        OsFamily.Linux => "linux",
        OsFamily.MacOS => "macos",
        OsFamily.Windows => "windows",
        _ => RuntimeInformation.OSDescription.Split(' ')[0].ToLowerInvariant(),
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
