using System.Runtime.InteropServices;

namespace AddressInUse.Verdicts;

/// <summary>Which results folder this machine writes (images/&lt;os&gt;/), and where the other OSes' results are.</summary>
public static class CourseOs
{
    /// <summary>The environment variable the course runner sets to the folder holding every images/&lt;os&gt;/.</summary>
    public const string ImagesRootVariable = "COURSE_IMAGES_ROOT";

    private static readonly Lazy<bool> UnderWine = new(DetectWine);

    /// <summary>"linux", "macos", "windows" — or "wine" under Wine, which emulates Windows and never counts as it.</summary>
    public static string Current =>
        OperatingSystem.IsWindows() ? (UnderWine.Value ? "wine" : "windows")
        : OperatingSystem.IsMacOS() ? "macos"
        : OperatingSystem.IsLinux() ? "linux"
        : RuntimeInformation.OSDescription.Split(' ')[0].ToLowerInvariant();

    /// <summary>The images folder: $COURSE_IMAGES_ROOT, else images/ in the nearest folder above the working directory that holds Course.sln.</summary>
    public static string? ImagesRoot()
    {
        var fromRunner = Environment.GetEnvironmentVariable(ImagesRootVariable);
        if (!string.IsNullOrWhiteSpace(fromRunner))
        {
            return fromRunner;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln")))
            {
                return Path.Combine(dir.FullName, "images");
            }
        }

        return null;
    }

    // Wine's ntdll exports wine_get_version; Windows' never does.
    private static bool DetectWine()
    {
        try
        {
            return NativeLibrary.TryLoad("ntdll.dll", out var ntdll) && NativeLibrary.TryGetExport(ntdll, "wine_get_version", out _);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
