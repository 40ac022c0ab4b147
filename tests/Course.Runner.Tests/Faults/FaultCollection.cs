namespace Course.Runner.Tests.Faults;

/// <summary>The fault-injection tests start real runner processes and signal them; they run one at a time (and apart from the in-process notebook runs).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "fault injection";
}

/// <summary>A fact that needs POSIX signals and Linux's /proc (process tree, socket owners); skipped elsewhere, saying why.</summary>
public sealed class PosixFaultFactAttribute : FactAttribute
{
    /// <summary>Skips off Linux.</summary>
    public PosixFaultFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Sends SIGINT/SIGKILL and reads /proc to find leftover processes and sockets: Linux only.";
        }
    }
}

/// <summary>A theory with the same requirement as <see cref="PosixFaultFactAttribute"/>.</summary>
public sealed class PosixFaultTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips off Linux.</summary>
    public PosixFaultTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Sends SIGINT/SIGKILL and reads /proc to find leftover processes and sockets: Linux only.";
        }
    }
}

/// <summary>A fault fact that also needs the private network lab (Linux, unprivileged user namespaces, util-linux's unshare): skipped saying why, failed instead under COURSE_REQUIRE_REAL_PARTS=1.</summary>
public sealed class LabFaultFactAttribute : RealPartsFactAttribute
{
    /// <summary>Needs the lab, on Linux (signals and /proc).</summary>
    public LabFaultFactAttribute()
        : base(RealPart.NetworkLab)
    {
        LinuxOnly = true;
    }
}
