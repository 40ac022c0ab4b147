using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Course.TestUtilities;

/// <summary>Programs the course did not write (nc, ss, python3), started and ended by the tests that check the course against them.</summary>
public static class ForeignProcesses
{
    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>netcat's path, or an exception that says how to install it.</summary>
    public static string Netcat() => FindOnPath("nc") ?? throw new InvalidOperationException(
        "netcat is not installed: this test runs a real nc listener and client. Install it with `apt-get install netcat-openbsd`.");

    /// <summary>Starts a program with every stream redirected; stdin stays open (never written), so nc keeps its connection until it is ended.</summary>
    public static Process Start(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
    }

    /// <summary>Kills the process (and what it started) if it still runs, waits for it, and disposes it; null is ignored.</summary>
    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }

        process.Dispose();
    }

    /// <summary>Runs a program to its end and returns its standard output.</summary>
    public static string Run(string program, params string[] args)
    {
        using var process = Start(program, args);
        process.StandardInput.Close();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    /// <summary>A loopback port the OS just handed out (bound, read back, released) for a foreign program to listen on.</summary>
    public static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
