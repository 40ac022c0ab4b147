using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Child;
using AddressInUse.Diagnosis;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.CSharpServers;

/// <summary>What a plain C# server saw when it started on a port (I1): the exception, its codes, and who held the port.</summary>
/// <param name="Case">"second-instance", "orphaned-child", "dual-stack-then-ipv4", "after-time-wait".</param>
/// <param name="Story">What happened before the second server started, in one sentence.</param>
/// <param name="FirstAddress">What the first holder bound.</param>
/// <param name="SecondAddress">What the C# server tried to bind.</param>
/// <param name="Error">The SocketException's SocketErrorCode, or null when the server started.</param>
/// <param name="NativeErrorCode">SocketException.NativeErrorCode (the OS's errno), or null.</param>
/// <param name="Message">SocketException.Message, or null.</param>
/// <param name="Diagnosis">What `diagnose` reported while the holder was alive (null where it was not taken).</param>
public sealed record CSharpBindOutcome(string Case, string Story, string FirstAddress, string SecondAddress, SocketError? Error, int? NativeErrorCode, string? Message, PortDiagnosis? Diagnosis)
    : MeasuredResult
{
    /// <summary>What started the server: "dotnet" (a plain Socket / TcpListener) or "aspnetcore" (a real Kestrel app).</summary>
    public string Api { get; init; } = "dotnet";

    /// <summary>The exceptions the server threw, outermost first ("System.IO.IOException: Failed to bind …"); empty for a plain socket's single one.</summary>
    public IReadOnlyList<string> ExceptionChain { get; init; } = [];

    /// <summary>"ok", or the errno name of NativeErrorCode.</summary>
    public string Outcome => NativeErrorCode is { } n ? Errno.FromCurrentOs(n).Name : "ok";

    /// <summary>The results.json record.</summary>
    public override IEnumerable<CaseRecord> Cases =>
    [
        new CaseRecord("I1", Case, Api, "tcp", Diagnosis?.Holders.FirstOrDefault()?.State.ToLowerInvariant() ?? "none",
            new SocketSide(FirstAddress, "tcp", []), new SocketSide(SecondAddress, "tcp", []), "bind", Outcome, NativeErrorCode)
        {
            Details = new JsonObject
            {
                ["socket_error"] = Error?.ToString(),
                ["message"] = Message,
                ["holder_state"] = Diagnosis?.Holders.FirstOrDefault()?.State,
                ["holder_process"] = Diagnosis?.Holders.FirstOrDefault()?.ProcessName,
                ["exception_chain"] = ExceptionChain.Count == 0 ? null : string.Join(" → ", ExceptionChain.Select(e => e.Split(':')[0])),
            },
        },
    ];

    /// <summary>The exception as a C# developer sees it, then the diagnosis.</summary>
    public override string ToHtml() =>
        $"<div class=\"course-outcome\"><p><b>I1 {Html.E(Case)}</b>: {Html.E(Story)}</p>" +
        Html.Table(new[] { Api == "aspnetcore" ? "the ASP.NET Core app" : "the C# server", "" }, new[]
        {
            new[] { "bound", Html.E(SecondAddress) + " (first holder: " + Html.E(FirstAddress) + ")" },
            // Kestrel wraps the SocketException twice: the row names the innermost one, the chain below shows the wrapping.
            new[] { ExceptionChain.Count == 0 ? "result" : "innermost exception", Error is null ? Html.Badge("ok", "the server started") : $"<code>SocketException</code>: <code>SocketError.{Html.E(Error)}</code>, NativeErrorCode {NativeErrorCode} ({Html.E(Outcome)})" },
            new[] { ExceptionChain.Count == 0 ? "message" : "message (outermost exception)", Html.E(Message ?? "—") },
        }.Concat(ExceptionChain.Count == 0 ? [] : new[] { new[] { "exceptions, outermost first", string.Join("<br>", ExceptionChain.Select(e => $"<code>{Html.E(e)}</code>")) } })) + (Diagnosis is null ? "" : "<p>What <code>diagnose</code> said while the holder was alive:</p>" + Diagnosis.ToHtml()) + "</div>";

    /// <summary>One line.</summary>
    public override string ToString() => $"{Case}: {(Error is null ? "started" : $"SocketException {Error} ({NativeErrorCode}) {Message}")}";
}

/// <summary>I1: the ways a plain C# server meets "Address already in use", each measured with real sockets (and real foreign processes where the story needs one).</summary>
public static class CSharpServerErrors
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>A second copy of the same server starts while the first still listens on 127.0.0.1.</summary>
    public static CSharpBindOutcome SecondInstance()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        var port = ((IPEndPoint)first.LocalEndpoint).Port;
        return TrySecond("second-instance", "a first copy of the server listens on the port; a second copy starts", $"127.0.0.1:{port}", new IPEndPoint(IPAddress.Loopback, port), PortDiagnosis.Run(port));
    }

    /// <summary>A server listens on [::] (dual-stack, as a .NET socket made with new Socket(SocketType.Stream, ProtocolType.Tcp) is); a second one binds 0.0.0.0. Both wildcard sockets are closed at once and accept nobody.</summary>
    public static CSharpBindOutcome DualStackThenIpv4()
    {
        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        // The wildcard listener must complete no handshake with a peer outside loopback for the milliseconds it lives
        // (Linux: the filter passes only packets from 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104; nothing needs to connect to it here).
        AttachLoopbackFilter(first);
        first.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        first.Listen(1);
        var port = ((IPEndPoint)first.LocalEndPoint!).Port;
        return TrySecond("dual-stack-then-ipv4", $"a dual-stack server (DualMode={first.DualMode}) listens on [::]; an IPv4-only server binds 0.0.0.0", $"[::]:{port}", new IPEndPoint(IPAddress.Any, port), PortDiagnosis.Run(port));
    }

    /// <summary>The server dies after closing a connection first (its end in TIME_WAIT); a new copy of the C# server starts at once.</summary>
    public static async Task<CSharpBindOutcome> AfterTimeWaitAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            using (var accepted = await listener.AcceptSocketAsync().ConfigureAwait(false))
            {
                accepted.Shutdown(SocketShutdown.Both);
            }
            // The client reads the server's FIN, then closes: the server end, which closed first, waits in TIME_WAIT.
            _ = await client.GetStream().ReadAsync(new byte[1]).ConfigureAwait(false);
        }

        await Poll.UntilAsync(() => TcpTable.Read(e => e.Local.Port == port && e.State == System.Net.NetworkInformation.TcpState.TimeWait).Count > 0, Deadline, "the old server end to reach TIME_WAIT").ConfigureAwait(false);
        return TrySecond("after-time-wait", "the old server closed a connection first and stopped; its end waits in TIME_WAIT; a new copy starts", $"127.0.0.1:{port}", new IPEndPoint(IPAddress.Loopback, port), PortDiagnosis.Run(port));
    }

    /// <summary>A server (python3, the course's stand-in for any program that forks) starts a child that inherits the listening socket, then exits: the orphaned child holds the port.</summary>
    /// <returns>The outcome, or null where python3 is not installed (the case is then not measured).</returns>
    public static async Task<CSharpBindOutcome?> OrphanedChildAsync()
    {
        const string script =
            "import socket,subprocess,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\n" +
            // The child must outlive its parent by itself: one that waited for EOF on a pipe from the parent exited with it,
            // so on a loaded machine the port was sometimes free again before the C# server tried. It sleeps at most two
            // minutes, so it cannot outlive the course if the kill below never comes.
            "c=subprocess.Popen([sys.executable,'-c','import time; time.sleep(120)'],pass_fds=[s.fileno()],stdin=subprocess.DEVNULL)\n" +
            "print(s.getsockname()[1], c.pid, flush=True)\n";
        Process parent;
        try
        {
            parent = Process.Start(new ProcessStartInfo("python3") { ArgumentList = { "-c", script }, RedirectStandardOutput = true, UseShellExecute = false })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        using (parent)
        {
            var line = (await parent.StandardOutput.ReadLineAsync().WaitAsync(Deadline).ConfigureAwait(false))!.Split(' ');
            await parent.WaitForExitAsync().WaitAsync(Deadline).ConfigureAwait(false);
            var port = int.Parse(line[0], CultureInfo.InvariantCulture);
            using var child = Process.GetProcessById(int.Parse(line[1], CultureInfo.InvariantCulture));
            try
            {
                return TrySecond("orphaned-child", "the server started a child process that inherited its listening socket, then exited; the child lives on", $"127.0.0.1:{port}", new IPEndPoint(IPAddress.Loopback, port), PortDiagnosis.Run(port));
            }
            finally
            {
                child.Kill();
                await child.WaitForExitAsync().WaitAsync(Deadline).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A first server listens on 127.0.0.1; a real ASP.NET Core app (Kestrel, lib/KestrelProbe, built with the library) starts
    /// on the same port in a child process and reports what it threw. Kestrel binds 127.0.0.1 only and stops at once.
    /// </summary>
    /// <returns>The outcome, or null where the ASP.NET Core runtime or the probe is missing (see <see cref="WhyNoKestrel"/>).</returns>
    public static async Task<CSharpBindOutcome?> KestrelSecondInstanceAsync(CancellationToken cancellationToken = default)
    {
        if (WhyNoKestrel() is not null)
        {
            return null;
        }

        using var first = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        var port = ((IPEndPoint)first.LocalEndpoint).Port;
        var diagnosis = PortDiagnosis.Run(port);
        var report = await RunKestrelProbeAsync(port, localhost: false, cancellationToken).ConfigureAwait(false);
        const string story = "a first server listens on 127.0.0.1; an ASP.NET Core app (Kestrel) starts on the same port";
        if (report["started"]?.GetValue<bool>() == true)
        {
            return new CSharpBindOutcome("kestrel-second-instance", story, $"127.0.0.1:{port}", $"127.0.0.1:{port}", null, null, null, diagnosis) { Api = "aspnetcore" };
        }
        var chain = report["exceptions"]!.AsArray().OfType<JsonObject>().ToList();
        var socket = chain.LastOrDefault(e => e["socket_error"] is not null);
        return new CSharpBindOutcome("kestrel-second-instance", story, $"127.0.0.1:{port}", $"127.0.0.1:{port}",
            socket is null ? null : Enum.Parse<SocketError>(socket["socket_error"]!.GetValue<string>()),
            socket?["native_error_code"]?.GetValue<int>(), chain.FirstOrDefault()?["message"]?.GetValue<string>(), diagnosis)
        {
            Api = "aspnetcore",
            ExceptionChain = chain.Select(e => $"{e["type"]}: {e["message"]}").ToList(),
        };
    }

    /// <summary>Runs lib/KestrelProbe on the port (127.0.0.1, or with <paramref name="localhost"/> Kestrel's localhost: 127.0.0.1 and [::1]) and returns its one-line JSON report.</summary>
    internal static async Task<JsonObject> RunKestrelProbeAsync(int port, bool localhost, CancellationToken cancellationToken)
    {
        // Stdin redirected too: the probe must not inherit the kernel worker's stdin, which carries the runner's requests.
        var info = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "exec", KestrelProbePath, port.ToString(CultureInfo.InvariantCulture) }.Concat(localhost ? ["localhost"] : Array.Empty<string>()))
        {
            info.ArgumentList.Add(argument);
        }
        Child.ChildEnvironment.Apply(info);
        using var probe = Process.Start(info) ?? throw new InvalidOperationException("Could not start the Kestrel probe through " + DotnetHost.Path + ".");
        try
        {
            var stdout = probe.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = probe.StandardError.ReadToEndAsync(cancellationToken);
            await probe.WaitForExitAsync(cancellationToken).WaitAsync(Deadline, cancellationToken).ConfigureAwait(false);
            return JsonNode.Parse((await stdout.ConfigureAwait(false)).Trim()) as JsonObject
                ?? throw new InvalidOperationException($"The Kestrel probe (exit {probe.ExitCode}) printed no report. stderr: {await stderr.ConfigureAwait(false)}");
        }
        finally
        {
            // A probe that outlives its deadline (or a cancelled cell) must not keep the port or the process.
            if (!probe.HasExited)
            {
                Child.ProcessTree.Kill(probe);
                await probe.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Why the Kestrel case cannot run here (no ASP.NET Core runtime, or the probe is not built), or null when it can.</summary>
    public static string? WhyNoKestrel()
    {
        var frameworks = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", ".."));
        if (!Directory.Exists(Path.Combine(frameworks, "Microsoft.AspNetCore.App")) || !Directory.EnumerateDirectories(Path.Combine(frameworks, "Microsoft.AspNetCore.App")).Any())
        {
            return $"not measured: the ASP.NET Core runtime (Microsoft.AspNetCore.App) is not installed beside {frameworks}; the .NET SDK installs it";
        }
        if (!File.Exists(KestrelProbePath))
        {
            return $"not measured: the Kestrel probe is not built at {KestrelProbePath}; build it with: dotnet build lib/AddressInUse";
        }
        return null;
    }

    /// <summary>
    /// The Kestrel probe the library's build puts in lib/bin/kestrel-probe/: beside the library, or found upwards from the
    /// library's folder or the working directory (a kernel that loaded the runner's copy of the library runs in notebooks/).
    /// </summary>
    public static string KestrelProbePath
    {
        get
        {
            const string folder = "kestrel-probe", file = "KestrelProbe.dll";
            var starts = new[] { Path.GetDirectoryName(typeof(CSharpServerErrors).Assembly.Location), Environment.CurrentDirectory };
            var candidates = starts.Where(d => !string.IsNullOrEmpty(d))
                .SelectMany(d => Ancestors(d!))
                .SelectMany(d => new[] { Path.Combine(d, folder, file), Path.Combine(d, "bin", folder, file), Path.Combine(d, "lib", "bin", folder, file) })
                .ToList();
            return candidates.FirstOrDefault(File.Exists) ?? candidates.FirstOrDefault() ?? Path.Combine(folder, file);
        }
    }

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (var d = new DirectoryInfo(directory); d is not null; d = d.Parent)
        {
            yield return d.FullName;
        }
    }

    private static CSharpBindOutcome TrySecond(string name, string story, string first, IPEndPoint second, PortDiagnosis diagnosis)
    {
        using var server = new TcpListener(second);
        if (second.Address.Equals(IPAddress.Any))
        {
            AttachLoopbackFilter(server.Server);
        }

        try
        {
            server.Start();
            return new CSharpBindOutcome(name, story, first, second.ToString(), null, null, null, diagnosis);
        }
        catch (SocketException e)
        {
            return new CSharpBindOutcome(name, story, first, second.ToString(), e.SocketErrorCode, e.NativeErrorCode, e.Message, diagnosis);
        }
    }

    private static void AttachLoopbackFilter(Socket socket)
    {
        if (LoopbackOnlyFilter.Supported)
        {
            LoopbackOnlyFilter.Attach(socket);
        }
    }
}
