using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using AddressInUse.Cases;
using AddressInUse.Diagnosis;
using AddressInUse.Display;
using AddressInUse.Lab;
using AddressInUse.Native;

namespace AddressInUse.Experiments.Production;

/// <summary>One attempt to join a SO_REUSEPORT port held by root's socket.</summary>
/// <param name="Protocol">"tcp" (both listen) or "udp".</param>
/// <param name="Joiner">"same user" or "another user".</param>
/// <param name="Step">The deciding step.</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The errno number, or null.</param>
/// <param name="Uid">The joining socket's owner as the TCP table shows it (TCP only; read from a listener it made on another port), or null.</param>
public sealed record ReusePortJoin(string Protocol, string Joiner, string Step, string Outcome, int? Errno, int? Uid);

/// <summary>Scenario P6: may a socket of another user join a SO_REUSEPORT group? Measured in a lab namespace with two user ids.</summary>
/// <param name="Lab">Whether a namespace with a second user id could be made, and why not.</param>
/// <param name="Joins">Every attempt (empty when not measured).</param>
public sealed record ReusePortUsersOutcome(LabAvailability Lab, IReadOnlyList<ReusePortJoin> Joins) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Joins.Select(j => new CaseRecord("P6", $"{j.Protocol}-{(j.Joiner == "same user" ? "same-user" : "other-user")}", "native", j.Protocol, j.Protocol == "tcp" ? "listen" : "udp",
        new SocketSide("127.0.0.1", j.Protocol, [SocketOptionNames.ReusePort]), new SocketSide("127.0.0.1", j.Protocol, [SocketOptionNames.ReusePort]), j.Step, j.Outcome, j.Errno)
    {
        Details = new JsonObject { ["joiner"] = j.Joiner, ["joiner_uid"] = j.Uid, ["holder_uid"] = 0, ["where"] = "private network namespace with two user ids" },
    });

    /// <summary>One row per attempt, or why nothing was measured.</summary>
    public override string ToHtml() => !Lab.Available
        ? $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p>"
        : $"<p>Measured in {Html.E(Lab.Reason)}; the port is held by root's socket with <code>SO_REUSEPORT</code>.</p>" + Html.Table(["protocol", "second socket, also SO_REUSEPORT", "outcome", "its owner (uid)"],
            Joins.Select(j => new[] { j.Protocol.ToUpperInvariant(), Html.E(j.Joiner), Html.Badge(j.Outcome) + $" <small>{Html.E(j.Step)}</small>", j.Uid?.ToString() ?? "—" }));

    /// <summary>One line per attempt.</summary>
    public override string ToString() => Lab.Available ? string.Join(Environment.NewLine, Joins.Select(j => $"{j.Protocol} {j.Joiner}: {j.Step} {j.Outcome} (uid {j.Uid})")) : $"P6 not measured: {Lab.Reason}";
}

/// <summary>Scenario P6: does SO_REUSEPORT let another user's socket share a port? Root holds it; a socket of root and one of uid 1 try to join.</summary>
public static class ReusePortUsers
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "reuseport-users";

    /// <summary>Runs in a lab namespace with two user ids; where none can be made, says why and measures nothing.</summary>
    public static async Task<ReusePortUsersOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var lab = NetworkLab.SecondUser;
        if (!lab.Available)
        {
            return new ReusePortUsersOutcome(lab, []);
        }
        var result = await NetworkLab.RunAsync(Experiment, new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken, secondUser: true).ConfigureAwait(false);
        return new ReusePortUsersOutcome(lab, result["joins"]!.AsArray().Select(j => new ReusePortJoin(
            j!["protocol"]!.GetValue<string>(), j["joiner"]!.GetValue<string>(), j["step"]!.GetValue<string>(), j["outcome"]!.GetValue<string>(), j["errno"]?.GetValue<int>(), j["uid"]?.GetValue<int>())).ToList());
    }

    /// <summary>The lab child's side (as the namespace's root, with uid 1 mapped too).</summary>
    [InsideLab(Experiment)]
    internal static JsonObject MeasureInside()
    {
        var joins = new JsonArray();
        foreach (var protocol in new[] { ProtocolType.Tcp, ProtocolType.Udp })
        {
            using var holder = NativeSocket.Create(AddressFamily.InterNetwork, protocol);
            holder.SetOptions(SocketOptionSet.ReusePort).ThrowIfFailed();
            holder.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            if (protocol == ProtocolType.Tcp)
            {
                holder.Listen(16).ThrowIfFailed();
            }
            var port = holder.LocalEndPoint!.Port;
            foreach (var (joiner, uid) in new[] { ("same user", 0u), ("another user", 1u) })
            {
                using var second = CreateAs(uid, protocol);
                second.SetOptions(SocketOptionSet.ReusePort).ThrowIfFailed();
                var result = second.Bind(new IPEndPoint(IPAddress.Loopback, port));
                if (result.Ok && protocol == ProtocolType.Tcp)
                {
                    result = second.Listen(16);
                }
                joins.Add(new JsonObject
                {
                    ["protocol"] = protocol == ProtocolType.Tcp ? "tcp" : "udp", ["joiner"] = joiner, ["step"] = result.Step, ["outcome"] = result.Outcome, ["errno"] = result.Error?.Number,
                    ["uid"] = protocol == ProtocolType.Tcp ? OwnerSeen(uid) : null,
                });
            }
        }
        return new JsonObject { ["joins"] = joins };
    }

    // A socket takes its owner from the creating thread's filesystem user id (sock_alloc sets the inode's uid to current_fsuid()),
    // and setfsuid changes it for this thread alone, so the rest of the process stays root.
    private static NativeSocket CreateAs(uint uid, ProtocolType protocol)
    {
        var previous = setfsuid(uid);
        try
        {
            return NativeSocket.Create(AddressFamily.InterNetwork, protocol);
        }
        finally
        {
            setfsuid((uint)previous);
        }
    }

    // Proof of the owner: a listener made the same way on a fresh port, as the kernel's table reports its uid.
    private static int? OwnerSeen(uint uid)
    {
        using var probe = CreateAs(uid, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
        probe.Listen(1).ThrowIfFailed();
        return PortDiagnosis.ReadHolders(probe.LocalEndPoint!.Port).FirstOrDefault()?.Uid;
    }

    [DllImport("libc")]
    private static extern int setfsuid(uint fsuid);
}
