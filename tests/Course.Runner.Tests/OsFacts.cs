namespace Course.Runner.Tests;

/// <summary>A fact that runs only on Linux, because it compares with Linux tools (ss, /proc).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Skips on other OSes, saying why.</summary>
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Compares with Linux tools (ss -tan from iproute2); other OSes have no ss.";
        }
    }
}
