using AddressInUse.Native;

namespace AddressInUse.Verdicts;

/// <summary>Which results folder this machine writes (images/&lt;os&gt;/), and where the other OSes' results are.</summary>
public static class CourseOs
{
    /// <summary>The environment variable the course runner sets to the folder holding every images/&lt;os&gt;/.</summary>
    public const string ImagesRootVariable = "COURSE_IMAGES_ROOT";

    /// <summary>"linux", "macos", "windows" — or "wine" under Wine, which emulates Windows and never counts as it (<see cref="OsInfo.CurrentName"/>).</summary>
    public static string Current => OsInfo.CurrentName;

    /// <summary>The images folder: $COURSE_IMAGES_ROOT, else images/ in the nearest folder above the working directory that holds Course.sln.</summary>
    public static string? ImagesRoot()
    {
        var fromRunner = Environment.GetEnvironmentVariable(ImagesRootVariable);
        if (!string.IsNullOrWhiteSpace(fromRunner))
        {
            return fromRunner;
        }

        return CourseCheckout.FindRoot(Directory.GetCurrentDirectory()) is { } root ? Path.Combine(root, "images") : null;
    }
}
