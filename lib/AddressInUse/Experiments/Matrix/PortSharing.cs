using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// D1 reuse-matrix: may a second socket bind (and listen on) a port that something already holds? For every case of a
/// plan it builds the holder on a fresh port, lets a second socket try, and records each step's outcome and errno.
/// </summary>
/// <remarks>
/// Everything runs in this process on loopback (the wildcard address only where a case asks for it, and only for as long
/// as that case runs). Nothing sleeps: holders' TCP states are polled from the OS's table against a deadline. Reading
/// that table can cost milliseconds (Linux walks its whole connection hash for /proc/net/tcp), so cases run in batches:
/// each batch builds its holders, checks all their states with one read, and looks for foreign conflicts with one more.
/// </remarks>
public static class PortSharing
{
    // Under Wine one read of the TCP table takes 0.1 s idle and up to 4 s while processes start (docs/wine.md), so 5 s
    // there is one or two reads: a slow table, not a holder that never reached its state.
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(Native.WineHost.IsWine ? 60 : 5);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private const int Attempts = 5;
    private const int Backlog = 64;
    private const int BatchSize = 64;

    /// <summary>Measures every case of the plan, each on its own fresh port, and returns them in plan order.</summary>
    /// <param name="plan">The cases to measure; <see cref="PortSharingPlan.Full"/> is the whole D1 matrix.</param>
    /// <param name="cancellationToken">Stops between steps; every socket of the running batch is still closed.</param>
    public static async Task<PortSharingMatrix> MeasureAsync(PortSharingPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        OsInfo.EnsureSupported();
        if (plan.Os != OsInfo.Current)
        {
            throw new ArgumentException(
                $"The plan lists the options of {plan.Os}, but this machine runs {OsInfo.Current}. " +
                "Build the plan without an OS argument (e.g. PortSharingPlan.Full()) to measure this machine.", nameof(plan));
        }
        var started = Stopwatch.GetTimestamp();
        var missing = MissingSecondLoopback();
        var runnable = new List<PortSharingCase>();
        var skipped = new List<PortSharingSkip>();
        foreach (var c in plan.Cases())
        {
            if (c.NeedsSecondLoopback && missing is { } reason)
            {
                skipped.Add(new PortSharingSkip(c, reason));
            }
            else
            {
                runnable.Add(c);
            }
        }
        var notes = new List<string>();
        var outcomes = await RunPlacedAsync(runnable, plan.ProbesPerTarget, missing is null, plan.WildcardInLab, notes, cancellationToken).ConfigureAwait(false);
        return new PortSharingMatrix(plan, outcomes, skipped, notes, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Measures one case on a fresh port chosen by the OS.</summary>
    /// <param name="portSharingCase">The case.</param>
    /// <param name="probesPerTarget">Connections (or datagrams) per address where two sockets end up sharing the port.</param>
    /// <param name="cancellationToken">Cancels the case; its sockets are still closed.</param>
    /// <remarks>A case that binds the wildcard address runs inside the private network lab where it is available, as in <see cref="MeasureAsync(PortSharingPlan, CancellationToken)"/>.</remarks>
    public static async Task<PortSharingOutcome> MeasureAsync(PortSharingCase portSharingCase, int probesPerTarget = 8, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(portSharingCase);
        OsInfo.EnsureSupported();
        var missing = MissingSecondLoopback();
        if (portSharingCase.NeedsSecondLoopback && missing is { } reason)
        {
            throw new InvalidOperationException(reason);
        }
        var outcomes = await RunPlacedAsync(new[] { portSharingCase }, probesPerTarget, missing is null, wildcardInLab: true, new List<string>(), cancellationToken).ConfigureAwait(false);
        return outcomes[0];
    }

    /// <summary>
    /// Runs the cases that bind the wildcard address inside the private network lab (one child for all of them, beside the
    /// loopback cases running here), so that the machine's own addresses never have a listener of the course; where the lab
    /// cannot run, or <paramref name="wildcardInLab"/> is false, every case runs here and the wildcard ones say "host".
    /// </summary>
    private static async Task<IReadOnlyList<PortSharingOutcome>> RunPlacedAsync(
        IReadOnlyList<PortSharingCase> cases, int probes, bool secondLoopback, bool wildcardInLab, List<string> matrixNotes, CancellationToken cancellationToken)
    {
        var wildcard = Enumerable.Range(0, cases.Count).Where(i => cases[i].Addresses.UsesWildcard()).ToList();
        var here = Lab.LabChild.InPrivateNamespace ? PortSharingLab.LabNamespace : PortSharingLab.HostNamespace;
        if (wildcard.Count == 0 || !wildcardInLab || here == PortSharingLab.LabNamespace || !Lab.NetworkLab.Availability.Available)
        {
            var all = await RunAsync(cases, probes, secondLoopback, matrixNotes, cancellationToken).ConfigureAwait(false);
            return all.Select(o => o.Case.Addresses.UsesWildcard() ? o with { Namespace = here } : o).ToList();
        }
        var inLab = wildcard.ToHashSet();
        var local = Enumerable.Range(0, cases.Count).Where(i => !inLab.Contains(i)).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lab = PortSharingLab.RunAsync(wildcard.Select(i => cases[i]).ToList(), probes, secondLoopback, stop.Token);
        IReadOnlyList<PortSharingOutcome> hostOutcomes;
        try
        {
            hostOutcomes = await RunAsync(local.Select(i => cases[i]).ToList(), probes, secondLoopback, matrixNotes, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The lab's child is ended before the error goes on, so no process outlives the call.
            await stop.CancelAsync().ConfigureAwait(false);
            await lab.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        IReadOnlyList<PortSharingOutcome> wildcardOutcomes;
        try
        {
            var (labOutcomes, labNotes) = await lab.ConfigureAwait(false);
            matrixNotes.AddRange(labNotes);
            wildcardOutcomes = labOutcomes.Select(o => o with { Namespace = PortSharingLab.LabNamespace }).ToList();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The lab is there but its child failed (a loaded machine, a killed child): measure here, as where no lab exists, and say so.
            matrixNotes.Add($"the private network lab's child failed ({e.Message}); its {wildcard.Count} wildcard cases ran on this machine instead");
            var again = await RunAsync(wildcard.Select(i => cases[i]).ToList(), probes, secondLoopback, matrixNotes, cancellationToken).ConfigureAwait(false);
            wildcardOutcomes = again.Select(o => o with { Namespace = PortSharingLab.HostNamespace }).ToList();
        }
        var merged = new PortSharingOutcome[cases.Count];
        for (var k = 0; k < local.Count; k++)
        {
            merged[local[k]] = hostOutcomes[k];
        }
        for (var k = 0; k < wildcard.Count; k++)
        {
            merged[wildcard[k]] = wildcardOutcomes[k];
        }
        return merged;
    }

    /// <summary>Whether 127.0.0.2 is a local address here (it is on Linux and Windows; macOS has only 127.0.0.1 unless an alias is added).</summary>
    public static bool SecondLoopbackAvailable => MissingSecondLoopback() is null;

    private static string? MissingSecondLoopback()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(new IPEndPoint(AddressPairs.SecondLoopback, 0));
            return null;
        }
        catch (SocketException e)
        {
            return $"{AddressPairs.SecondLoopback} is not an address of this machine (bind gave {Errno.FromCurrentOs(e.NativeErrorCode)}); " +
                   "macOS gives lo0 only 127.0.0.1. An administrator can add it with 'sudo ifconfig lo0 alias 127.0.0.2 up' " +
                   "(the course never changes system settings itself), then run the cell again.";
        }
    }

    /// <summary>One case in flight: its port, its sockets, and what it has done so far.</summary>
    private sealed class CaseRun : IDisposable
    {
        public CaseRun(int index, PortSharingCase c, int attempt)
        {
            Index = index;
            Case = c;
            Attempt = attempt;
        }

        public int Index { get; }
        public PortSharingCase Case { get; }
        /// <summary>When the case's first socket was about to be made, for how long its sockets were open.</summary>
        public long Opened { get; } = Stopwatch.GetTimestamp();
        public int Attempt { get; }
        public SocketScope Scope { get; } = new();
        public int Port { get; set; }
        public StepResult? HolderFailure { get; set; }
        public IReadOnlyDictionary<string, int>? FirstReadback { get; set; }
        /// <summary>The holder's listening or UDP socket, where traffic may be shared with the second socket.</summary>
        public Socket? HolderSocket { get; set; }
        /// <summary>The holder's connection as the TCP table must show it before the second socket tries.</summary>
        public (IPEndPoint Local, IPEndPoint Remote, TcpState State)? Expect { get; set; }
        public string? HolderState { get; set; }
        public CaseSocket? Second { get; set; }
        public List<StepResult> Steps { get; } = new();
        public IReadOnlyDictionary<string, int>? SecondReadback { get; set; }
        public string? Conflict { get; set; }
        public List<string> Notes { get; } = new();

        public StepResult? Refused => Steps.FirstOrDefault(s => !s.Ok);

        public void Dispose() => Scope.Dispose();
    }

    internal static async Task<IReadOnlyList<PortSharingOutcome>> RunAsync(
        IReadOnlyList<PortSharingCase> cases, int probes, bool secondLoopback, List<string> matrixNotes, CancellationToken cancellationToken)
    {
        var outcomes = new PortSharingOutcome?[cases.Count];
        var conflicts = new Dictionary<int, List<string>>();
        var queue = new Queue<(int Index, int Attempt)>(Enumerable.Range(0, cases.Count).Select(i => (i, 1)));
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = new List<CaseRun>();
            try
            {
                while (batch.Count < BatchSize && queue.Count > 0)
                {
                    var (index, attempt) = queue.Dequeue();
                    var run = new CaseRun(index, cases[index], attempt);
                    batch.Add(run);
                    SetUpHolder(run);
                }
                await WaitForHoldersAsync(batch, cancellationToken).ConfigureAwait(false);
                foreach (var run in batch.Where(r => r.HolderFailure is null))
                {
                    TrySecond(run);
                }
                MarkForeignConflicts(batch);
                foreach (var run in batch)
                {
                    if (run.Conflict is not null)
                    {
                        var list = conflicts.TryGetValue(run.Index, out var l) ? l : conflicts[run.Index] = new List<string>();
                        list.Add(run.Conflict);
                        if (run.Attempt >= Attempts)
                        {
                            throw new InvalidOperationException(
                                $"Another program kept taking the ports of case {run.Case.Name} ({string.Join("; ", list)}). " +
                                "Close programs that bind many loopback ports and run the matrix again.");
                        }
                        // Foreign conflicts are retried on a new port and only mentioned, never reported as the case's outcome.
                        queue.Enqueue((run.Index, run.Attempt + 1));
                        run.Dispose();
                        continue;
                    }
                    var outcome = await FinishAsync(run, probes, secondLoopback, cancellationToken).ConfigureAwait(false);
                    // Close each case as soon as it is measured, so a wildcard socket lives no longer than it must.
                    run.Dispose();
                    outcomes[run.Index] = outcome with { SocketsOpen = Stopwatch.GetElapsedTime(run.Opened) };
                }
            }
            finally
            {
                foreach (var run in batch)
                {
                    run.Dispose();
                }
            }
        }
        foreach (var (index, list) in conflicts)
        {
            var notes = list.Select(n => $"{cases[index].Name}: {n}").ToList();
            matrixNotes.AddRange(notes);
            outcomes[index] = outcomes[index]! with { Notes = outcomes[index]!.Notes.Concat(list).ToList() };
        }
        return outcomes.Select(o => o!).ToList();
    }

    /// <summary>
    /// Lets the OS choose a port that is free for TCP and UDP on every address: a wildcard bind with no option conflicts
    /// with any socket on the port, TIME_WAIT leftovers of earlier cases included, so a port that passes is the case's alone.
    /// </summary>
    internal static int ReservePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var tcp = NativeSocket.Create(AddressFamily.InterNetwork, ProtocolType.Tcp);
            using var udp = NativeSocket.Create(AddressFamily.InterNetwork, ProtocolType.Udp);
            // Wildcard binds, if only for microseconds: the UDP one could receive a datagram from the network meanwhile.
            GuardWildcard(tcp);
            GuardWildcard(udp);
            var bind = tcp.Bind(new IPEndPoint(IPAddress.Any, 0));
            if (!bind.Ok)
            {
                throw new NativeSocketException(bind);
            }
            var port = tcp.LocalEndPoint!.Port;
            if (udp.Bind(new IPEndPoint(IPAddress.Any, port)).Ok)
            {
                return port;
            }
        }
        throw new InvalidOperationException(
            "The OS could not offer a port that is free for both TCP and UDP in 50 tries. " +
            "Something on this machine holds most UDP ports; close it and run again.");
    }

    /// <summary>Attaches the loopback-only filter before a wildcard bind (Linux); the port is not looked for unguarded.</summary>
    internal static void GuardWildcard(NativeSocket socket)
    {
        if (LoopbackOnlyFilter.Supported && LoopbackOnlyFilter.Attach(socket.Descriptor) is var errno and not 0)
        {
            throw new InvalidOperationException($"Could not attach the loopback-only filter to the port-finding socket (setsockopt SO_ATTACH_FILTER gave {Errno.FromCurrentOs(errno)}); no wildcard bind is made unguarded.");
        }
    }

    /// <summary>Builds what holds the port; a connection is left for <see cref="WaitForHoldersAsync"/> to confirm.</summary>
    private static void SetUpHolder(CaseRun run)
    {
        var c = run.Case;
        var scope = run.Scope;
        run.Port = ReservePort();
        if (c.Holder == PortHolder.None)
        {
            return;
        }
        var first = scope.Add(CaseSocket.Create(c.Api, c.Holder.Protocol(), c.FirstOptions));
        if (!first.OptionsResult.Ok)
        {
            run.HolderFailure = first.OptionsResult;
            return;
        }
        var bind = first.Bind(new IPEndPoint(c.FirstAddress, run.Port));
        // Read after bind: on the .NET path, Bind itself may have switched options on.
        run.FirstReadback = first.Readback();
        if (!bind.Ok)
        {
            run.HolderFailure = bind;
            return;
        }
        var serverEnd = new IPEndPoint(IPAddress.Loopback, run.Port);
        switch (c.Holder)
        {
            case PortHolder.Bound:
                return;
            case PortHolder.Udp:
                run.HolderSocket = first.AsSocket();
                return;
            case PortHolder.Connected:
            {
                var server = scope.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                // The peer lives on a port of its own; how it binds does not touch the port under study.
                server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                server.Listen(1);
                var peer = (IPEndPoint)server.LocalEndPoint!;
                var connect = first.Connect(peer);
                if (!connect.Ok)
                {
                    run.HolderFailure = connect;
                    return;
                }
                scope.Add(server.Accept());
                run.Expect = (serverEnd, peer, TcpState.Established);
                return;
            }
        }

        var listen = first.Listen(Backlog);
        if (!listen.Ok)
        {
            run.HolderFailure = listen;
            return;
        }
        var listener = first.AsSocket();
        if (c.Holder == PortHolder.Listener)
        {
            run.HolderSocket = listener;
            run.HolderState = "LISTEN";
            return;
        }

        var client = scope.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        client.Connect(serverEnd);
        var clientEnd = (IPEndPoint)client.LocalEndPoint!;
        var accepted = scope.Add(listener.Accept());
        if (c.Holder == PortHolder.ListenerWithClient)
        {
            run.HolderSocket = listener;
            run.Expect = (serverEnd, clientEnd, TcpState.Established);
            return;
        }

        // The listener goes away; only the accepted connection keeps the port (the seeds' forked child).
        first.Dispose();
        switch (c.Holder)
        {
            case PortHolder.FinWait2:
            case PortHolder.TimeWait:
                // The server closes first: FIN. The client's read of end-of-stream proves the FIN arrived.
                accepted.Dispose();
                AwaitEndOfStream(client, "the client to see the server's FIN");
                if (c.Holder == PortHolder.TimeWait)
                {
                    client.Dispose();
                }
                break;
            case PortHolder.CloseWait:
                // The client closes first; the server end reads end-of-stream and stays open in CLOSE_WAIT.
                client.Shutdown(SocketShutdown.Send);
                AwaitEndOfStream(accepted, "the server end to see the client's FIN");
                break;
        }
        run.Expect = (serverEnd, clientEnd, c.Holder.ExpectedState()!.Value);
    }

    private static void AwaitEndOfStream(Socket socket, string what)
    {
        socket.ReceiveTimeout = (int)StateTimeout.TotalMilliseconds;
        try
        {
            var read = socket.Receive(new byte[16]);
            if (read != 0)
            {
                throw new InvalidOperationException($"Expected end-of-stream while waiting for {what}, but {read} bytes arrived.");
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException($"Gave up after {StateTimeout.TotalSeconds:0} s waiting for {what}.", e);
        }
    }

    /// <summary>Polls the TCP table until every holder connection of the batch shows its expected state (one read per poll for all).</summary>
    private static async Task WaitForHoldersAsync(IReadOnlyList<CaseRun> batch, CancellationToken cancellationToken)
    {
        var waiting = batch.Where(r => r.HolderFailure is null && r.Expect is not null).ToList();
        if (waiting.Count == 0)
        {
            return;
        }
        var ports = waiting.Select(r => r.Port).ToHashSet();
        var pending = waiting;
        IReadOnlyList<TcpEntry> last = Array.Empty<TcpEntry>();
        var reached = await Poll.TryUntilAsync(() =>
        {
            last = TcpTable.Read(e => ports.Contains(e.Local.Port));
            var table = last;
            pending = pending.Where(r =>
            {
                var (local, remote, state) = r.Expect!.Value;
                if (table.Any(e => e.Local.Equals(local) && e.Remote.Equals(remote) && e.State == state))
                {
                    r.HolderState = r.Case.Holder == PortHolder.ListenerWithClient ? $"LISTEN + {state.ToCanonicalName()}" : state.ToCanonicalName();
                    return false;
                }
                return true;
            }).ToList();
            return pending.Count == 0;
        }, StateTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!reached)
        {
            var r = pending[0];
            var (local, remote, state) = r.Expect!.Value;
            var seen = last.FirstOrDefault(e => e.Local.Equals(local) && e.Remote.Equals(remote))?.StateName ?? "not in the TCP table";
            throw new TimeoutException(
                $"The holder of case {r.Case.Name} ({local} → {remote}) did not reach {state.ToCanonicalName()} within {StateTimeout.TotalSeconds:0} s " +
                $"(last seen: {seen}; {pending.Count} holders still waiting). Something on this machine is interfering with loopback TCP.");
        }
    }

    /// <summary>The second socket's attempt: options, bind, and listen where it plays a server.</summary>
    private static void TrySecond(CaseRun run)
    {
        var c = run.Case;
        var second = run.Scope.Add(CaseSocket.Create(c.Api, c.Protocols.Second(), c.SecondOptions));
        run.Second = second;
        if (!second.OptionsResult.Ok)
        {
            // Only a failed setsockopt is recorded as a step; a successful one says nothing the bind does not.
            run.Steps.Add(second.OptionsResult);
        }
        else
        {
            var bind = second.Bind(new IPEndPoint(c.SecondAddress, run.Port));
            run.Steps.Add(bind);
            if (bind.Ok && c.SecondListens)
            {
                run.Steps.Add(second.Listen(Backlog));
            }
        }
        run.SecondReadback = second.Readback();
    }

    /// <summary>
    /// A refusal counts as the lesson's only if the port holds no more sockets than the case opened (the holder's rows,
    /// plus bound-only sockets, which some OSes list and Linux does not); otherwise another program may have caused it,
    /// and the case runs again on a new port. One read of each table serves the whole batch.
    /// </summary>
    private static void MarkForeignConflicts(IReadOnlyList<CaseRun> batch)
    {
        foreach (var run in batch)
        {
            if (run.HolderFailure is { } failure)
            {
                if (failure.Step is "bind" or "connect" && failure.Error?.Name is "EADDRINUSE" or "WSAEADDRINUSE")
                {
                    run.Conflict = $"port {run.Port} was taken by another program before the holder could bind it ({failure.Error}); ran again on a new port";
                    continue;
                }
                throw new InvalidOperationException(
                    $"Could not build the holder of case {run.Case.Name}: {failure}. {failure.Error?.Description}. " +
                    "This is not one of the outcomes the matrix measures; check that loopback networking works on this machine.");
            }
        }
        var refused = batch.Where(r => r.Conflict is null && r.HolderFailure is null && r.Refused?.Error?.Name is "EADDRINUSE" or "WSAEADDRINUSE").ToList();
        if (refused.Count == 0)
        {
            return;
        }
        var ports = refused.Select(r => r.Port).ToHashSet();
        var tcpRows = PortOccupancy.TcpRows(ports);
        var udpSockets = PortOccupancy.UdpSockets(ports);
        foreach (var run in refused)
        {
            var c = run.Case;
            var secondBound = run.Steps.Any(s => s.Step == "bind" && s.Ok) ? 1 : 0;
            var maxTcp = (c.Holder.Protocol() == ProtocolType.Tcp ? c.Holder.TcpTableRows() : 0)
                         + (c.Holder == PortHolder.Bound ? 1 : 0)
                         + (c.Protocols.Second() == ProtocolType.Tcp ? secondBound : 0);
            var maxUdp = (c.Holder == PortHolder.Udp ? 1 : 0) + (c.Protocols.Second() == ProtocolType.Udp ? secondBound : 0);
            if (tcpRows.GetValueOrDefault(run.Port) > maxTcp || udpSockets.GetValueOrDefault(run.Port) > maxUdp)
            {
                run.Conflict = $"port {run.Port} held sockets of another program when the second socket's {run.Refused!.Step} was refused; ran again on a new port";
            }
        }
    }

    /// <summary>Where both sockets ended up on the port, counts who gets the traffic; then builds the outcome.</summary>
    private static async Task<PortSharingOutcome> FinishAsync(CaseRun run, int probes, bool secondLoopback, CancellationToken cancellationToken)
    {
        var c = run.Case;
        string? shareKind = null;
        IReadOnlyList<ShareCount> shares = Array.Empty<ShareCount>();
        if (run.Refused is null)
        {
            var targets = c.Addresses.ProbeTargets(secondLoopback);
            if (c.Holder.Listens() && c.SecondListens)
            {
                shareKind = "accept";
                shares = await CountAcceptsAsync(run.HolderSocket!, run.Second!.AsSocket(), targets, run.Port, probes, run.Scope, run.Notes, cancellationToken).ConfigureAwait(false);
            }
            else if (c.Holder == PortHolder.Udp && c.Protocols == ProtocolPair.UdpUdp)
            {
                shareKind = "receive";
                shares = await CountDatagramsAsync(run.HolderSocket!, run.Second!.AsSocket(), targets, run.Port, probes, run.Notes, cancellationToken).ConfigureAwait(false);
            }
        }
        return new PortSharingOutcome(c, run.Port, run.HolderState, run.Steps.ToList(), run.FirstReadback, run.SecondReadback!, shareKind, shares, run.Notes.ToList());
    }

    private static async Task<IReadOnlyList<ShareCount>> CountAcceptsAsync(
        Socket first, Socket second, IReadOnlyList<IPAddress> targets, int port, int probes, SocketScope scope, List<string> notes, CancellationToken cancellationToken)
    {
        var sent = new Dictionary<IPAddress, int>();
        foreach (var target in targets)
        {
            for (var i = 0; i < probes; i++)
            {
                var client = scope.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                var connect = StepResult.Of("connect", () => client.Connect(new IPEndPoint(target, port)));
                if (connect.Ok)
                {
                    sent[target] = sent.GetValueOrDefault(target) + 1;
                }
                else
                {
                    notes.Add($"a probe connection to {target}:{port} failed: {connect.Error}");
                }
            }
        }
        var listeners = new[] { first, second };
        var counts = targets.ToDictionary(t => t, _ => new int[2]);
        var expected = sent.Values.Sum();
        var accepted = 0;
        var complete = await Poll.TryUntilAsync(() =>
        {
            for (var k = 0; k < listeners.Length; k++)
            {
                while (listeners[k].Poll(0, SelectMode.SelectRead))
                {
                    var connection = listeners[k].Accept();
                    var local = (IPEndPoint)connection.LocalEndPoint!;
                    var remote = (IPEndPoint)connection.RemoteEndPoint!;
                    // A wildcard listener is reachable from the network while it exists: never serve anyone but this machine.
                    SocketScope.Close(connection, abort: true);
                    if (!IPAddress.IsLoopback(remote.Address) || !counts.ContainsKey(local.Address))
                    {
                        notes.Add($"a connection from {remote} to {local} was closed unserved: it was not one of the probes");
                        continue;
                    }
                    counts[local.Address][k]++;
                    accepted++;
                }
            }
            return accepted >= expected;
        }, ProbeTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!complete)
        {
            notes.Add($"only {accepted} of {expected} probe connections were accepted within {ProbeTimeout.TotalSeconds:0} s");
        }
        return targets.Select(t => new ShareCount(t.ToString(), sent.GetValueOrDefault(t), counts[t][0], counts[t][1])).ToList();
    }

    private static async Task<IReadOnlyList<ShareCount>> CountDatagramsAsync(
        Socket first, Socket second, IReadOnlyList<IPAddress> targets, int port, int probes, List<string> notes, CancellationToken cancellationToken)
    {
        // Each datagram names its target, because a wildcard receiver cannot otherwise tell which address it was sent to.
        foreach (var target in targets)
        {
            for (var i = 0; i < probes; i++)
            {
                // A fresh sender per datagram: SO_REUSEPORT spreads by the sender's address and port, so one sender would hide the spread.
                using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sender.SendTo(Encoding.ASCII.GetBytes(target.ToString()), new IPEndPoint(target, port));
            }
        }
        var receivers = new[] { first, second };
        var counts = targets.ToDictionary(t => t.ToString(), _ => new int[2]);
        var expected = targets.Count * probes;
        var received = 0;
        var buffer = new byte[64];
        var complete = await Poll.TryUntilAsync(() =>
        {
            for (var k = 0; k < receivers.Length; k++)
            {
                while (receivers[k].Poll(0, SelectMode.SelectRead))
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    var length = receivers[k].ReceiveFrom(buffer, ref from);
                    var target = Encoding.ASCII.GetString(buffer, 0, length);
                    if (!IPAddress.IsLoopback(((IPEndPoint)from).Address) || !counts.ContainsKey(target))
                    {
                        notes.Add($"a datagram from {from} was ignored: it was not one of the probes");
                        continue;
                    }
                    counts[target][k]++;
                    received++;
                }
            }
            return received >= expected;
        }, ProbeTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!complete)
        {
            notes.Add($"only {received} of {expected} probe datagrams arrived within {ProbeTimeout.TotalSeconds:0} s");
        }
        return targets.Select(t => new ShareCount(t.ToString(), probes, counts[t.ToString()][0], counts[t.ToString()][1])).ToList();
    }
}
