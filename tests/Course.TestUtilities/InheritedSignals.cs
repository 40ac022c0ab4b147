namespace Course.TestUtilities;

/// <summary>Whether this test process can receive SIGINT at all, which a test that sends Ctrl+C needs.</summary>
public static class InheritedSignals
{
    /// <summary>
    /// Fails with the cause and the fix when SIGINT is ignored in this process: a shell starts background commands that way
    /// when job control is off, the children inherit it, and .NET keeps an inherited SIGINT ignored, so a Ctrl+C test would
    /// fail without saying why.
    /// </summary>
    public static void AssertSigintNotIgnored()
    {
        if (SigintIgnored())
        {
            throw new InvalidOperationException("SIGINT is ignored in this test process (inherited from a background start without job control), so no Ctrl+C test can pass: run the tests in the foreground, or as `env --default-signal=INT,QUIT dotnet test …` (as .ci/run does).");
        }
    }

    /// <summary>Whether this process's /proc/self/status lists SIGINT among the ignored signals; false where /proc is absent.</summary>
    public static bool SigintIgnored() => File.Exists("/proc/self/status") && SigintIgnoredIn(File.ReadAllText("/proc/self/status"));

    /// <summary>Whether a /proc/PID/status text's SigIgn mask has SIGINT's bit (signal 2 is bit 1).</summary>
    /// <param name="status">The text of a /proc/PID/status file.</param>
    public static bool SigintIgnoredIn(string status)
    {
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0;
    }
}
