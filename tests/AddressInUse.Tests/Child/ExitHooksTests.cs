using System.Runtime.InteropServices;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Child;

/// <summary>The one registry of exit and signal hooks: order, removal, a hook that throws, and a real signal delivered to this process.</summary>
public sealed class ExitHooksTests
{
    [Fact]
    public void RunAtExit_ThreeHooksTheSecondThrows_TheOthersRunInOrder()
    {
        var table = new HookTable();
        var ran = new List<string>();
        table.AtExit(() => ran.Add("first"));
        table.AtExit(() => throw new InvalidOperationException("a cleanup that fails"));
        table.AtExit(() => ran.Add("third"));

        table.RunAtExit();

        Assert.Equal(["first", "third"], ran);
    }

    [Fact]
    public void AtExit_HandleDisposedBeforeExit_HookDoesNotRun()
    {
        var table = new HookTable();
        var ran = new List<string>();
        var removed = table.AtExit(() => ran.Add("removed"));
        table.AtExit(() => ran.Add("kept"));

        removed.Dispose();
        table.RunAtExit();

        Assert.Equal(["kept"], ran);
    }

    [Fact]
    public void Dispatch_SigtermWithHandlersForTwoSignalSets_OnlyThoseForSigtermRun()
    {
        var table = new HookTable();
        var ran = new List<string>();
        table.OnSignals([PosixSignal.SIGINT, PosixSignal.SIGTERM], c => ran.Add($"stop:{c.Signal}"));
        table.OnSignals([PosixSignal.SIGQUIT], c => ran.Add($"quit:{c.Signal}"));
        table.OnSignals([PosixSignal.SIGTERM], c => c.Cancel = true);

        var context = new PosixSignalContext(PosixSignal.SIGTERM);
        table.Dispatch(context);

        Assert.Equal(["stop:SIGTERM"], ran);
        Assert.True(context.Cancel, "the third handler's Cancel did not reach the signal's context");
    }

    [LinuxFact]
    public async Task OnSignals_RealSigintToThisProcess_HandlerRunsAndCancelKeepsItAlive()
    {
        var received = 0;
        // Cancel keeps this test process alive; without the registry's registration SIGINT would end it (and fail the run).
        using var hook = ExitHooks.OnSignals(ExitHooks.StopSignals, context =>
        {
            context.Cancel = true;
            Interlocked.Increment(ref received);
        });

        Course.TestUtilities.InheritedSignals.AssertSigintNotIgnored();
        Assert.Equal(0, LibC.kill(Environment.ProcessId, 2 /* SIGINT */));

        Assert.True(await Poll.TryUntilAsync(() => Volatile.Read(ref received) > 0, TimeSpan.FromSeconds(10)), "the SIGINT handler never ran");
    }

    [LinuxTheory]
    [InlineData("--ignore-signal=INT", true)]
    [InlineData("--default-signal=INT", false)]
    public async Task SigintIgnoredIn_ChildStartedWithSigintIgnoredOrDefault_ReadsItsMask(string envOption, bool expected)
    {
        // A real child's status, started by coreutils' env with SIGINT ignored or at default, as a background shell job would be.
        using var child = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("env", [envOption, "cat", "/proc/self/status"]) { RedirectStandardOutput = true })!;
        var status = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();

        Assert.Equal(expected, Course.TestUtilities.InheritedSignals.SigintIgnoredIn(status));
    }
}
