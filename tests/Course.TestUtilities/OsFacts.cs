namespace Course.TestUtilities;

/// <summary>A fact that runs only on Linux and macOS, because it asserts Unix socket behaviour.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    /// <summary>Skips on other OSes, saying why.</summary>
    public UnixFactAttribute()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Skip = "Asserts Unix behaviour (Linux/macOS); this OS has its own expectations.";
        }
    }
}

/// <summary>A fact that runs only on Linux, because it asserts what the Linux kernel or its tools (ss, /proc) do.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Skips on other OSes, saying why.</summary>
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Asserts Linux behaviour (the kernel, or tools such as ss from iproute2); other OSes have their own expectations.";
        }
    }
}

/// <summary>A theory that runs only on Linux, because it asserts what the Linux kernel or its tools do.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips on other OSes, saying why.</summary>
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Asserts Linux behaviour (the kernel, or tools such as coreutils' env and /proc); other OSes have their own expectations.";
        }
    }
}
