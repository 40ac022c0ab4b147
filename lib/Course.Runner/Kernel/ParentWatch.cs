using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Course.Runner.Kernel;

/// <summary>Ends the worker process as soon as the runner that started it is gone.</summary>
/// <remarks>
/// A SIGKILLed runner runs no handler, and a worker busy in a cell does not read its request pipe, so it would never
/// see end-of-input; the child servers the cell started watch the worker's pipe in turn and follow it.
/// </remarks>
internal static partial class ParentWatch
{
    /// <summary>The environment variable that carries the runner's process id to the worker.</summary>
    public const string Variable = "COURSE_RUNNER_PID";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>Starts watching on a background thread; does nothing when no runner pid was passed.</summary>
    public static void Start()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var runner))
        {
            return;
        }

        var unix = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();
        // getppid() changes to the reaper the moment the parent dies; a pid check alone could be fooled by pid reuse.
        var thread = new Thread(() =>
        {
            while (unix ? GetParentPid() == runner : IsAlive(runner))
            {
                Thread.Sleep(Interval);
            }

            // SIGKILL of itself: nothing a hung cell holds can stop it, and nobody is left to read a message.
            using var self = Process.GetCurrentProcess();
            self.Kill();
        })
        {
            IsBackground = true,
            Name = "course parent watch",
        };
        thread.Start();
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();
}
