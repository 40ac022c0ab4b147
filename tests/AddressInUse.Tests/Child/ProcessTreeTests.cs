using System.Diagnostics;
using System.Runtime.InteropServices;
using AddressInUse.Child;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Child;

/// <summary>Real shells and sleeps: a tree killed without stopping, and orphans carrying a runner's pid found and ended.</summary>
public sealed class ProcessTreeTests
{
    private const int SigStop = 19;

    [LinuxFact]
    public async Task Kill_AShellWithTwoChildren_EveryProcessOfTheTreeEnds()
    {
        using var shell = Start("sh", [], "-c", "sleep 300 & sleep 300 & wait");
        Assert.True(await Poll.TryUntilAsync(() => ProcessTree.Descendants(shell.Id).Count == 2, TimeSpan.FromSeconds(10)), "the shell never started its two sleeps");
        var tree = ProcessTree.Descendants(shell.Id).Append(shell.Id).ToList();

        ProcessTree.Kill(shell);

        Assert.True(await Poll.TryUntilAsync(() => tree.All(Ended), TimeSpan.FromSeconds(10)), "still alive: " + string.Join(", ", tree.Where(p => !Ended(p))));
    }

    [LinuxFact]
    public async Task Kill_AStoppedTree_EndsIt_SigkillNeedsNoContinue()
    {
        using var shell = Start("sh", [], "-c", "sleep 300 & wait");
        Assert.True(await Poll.TryUntilAsync(() => ProcessTree.Descendants(shell.Id).Count == 1, TimeSpan.FromSeconds(10)));
        var sleep = ProcessTree.Descendants(shell.Id).Single();
        Assert.Equal(0, Kill(sleep, SigStop));
        Assert.True(await Poll.TryUntilAsync(() => State(sleep) == "T", TimeSpan.FromSeconds(10)));

        ProcessTree.Kill(shell);

        Assert.True(await Poll.TryUntilAsync(() => Ended(shell.Id) && Ended(sleep), TimeSpan.FromSeconds(10)));
    }

    [LinuxFact]
    public async Task SweepOrphans_AStoppedOrphanOfAGoneRunner_IsKilled_AChildOfALiveRunnerIsNot()
    {
        // A variable of this test alone, so no other process on the machine can match.
        var variable = $"COURSE_SWEEP_TEST_{Guid.NewGuid():N}";
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The shell starts a sleep and exits: the sleep is reparented away from this process, as a worker is when its runner is killed.
        using var shell = Start("sh", [(variable, self)], "-c", "sleep 300 & echo $!");
        var orphan = int.Parse(shell.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        await shell.WaitForExitAsync();
        using var kept = Start("sleep", [(variable, self)], "300");
        try
        {
            // Stopped, as a tree kill interrupted half-way left a worker: its own parent watch can never run.
            Assert.Equal(0, Kill(orphan, SigStop));
            Assert.True(await Poll.TryUntilAsync(() => State(orphan) == "T", TimeSpan.FromSeconds(10)));

            var swept = ProcessTree.SweepOrphans(variable, ["sleep"]);

            Assert.Equal([orphan], swept);
            Assert.True(await Poll.TryUntilAsync(() => Ended(orphan), TimeSpan.FromSeconds(10)), $"pid {orphan} state {State(orphan)}");
            Assert.False(kept.HasExited);
        }
        finally
        {
            _ = Kill(orphan, 9);
            kept.Kill();
        }
    }

    [LinuxFact]
    public async Task SweepOrphans_AnOrphanWhoseCommandLineIsNotTheCourses_IsLeftAlone()
    {
        var variable = $"COURSE_SWEEP_TEST_{Guid.NewGuid():N}";
        using var shell = Start("sh", [(variable, "1")], "-c", "sleep 300 & echo $!");
        var orphan = int.Parse(shell.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        await shell.WaitForExitAsync();
        try
        {
            Assert.Empty(ProcessTree.SweepOrphans(variable, ["course.dll"]));
            Assert.False(Ended(orphan));
        }
        finally
        {
            _ = Kill(orphan, 9);
        }
    }

    private static Process Start(string program, (string Name, string Value)[] environment, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    private static string? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (IOException)
        {
            return null;
        }
    }

    // A zombie has ended; its parent (this test host, or init) reaps it.
    private static bool Ended(int pid) => State(pid) is null or "Z" or "X";

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
