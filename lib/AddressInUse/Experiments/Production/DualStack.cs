using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Production;

/// <summary>The addresses (and IPV6_V6ONLY settings) the dual-stack cases bind, both on loopback or a wildcard.</summary>
public enum StackAddress
{
    /// <summary>0.0.0.0 on an IPv4 socket.</summary>
    V4Any,
    /// <summary>127.0.0.1 on an IPv4 socket.</summary>
    V4Loopback,
    /// <summary>[::] on an IPv6 socket with IPV6_V6ONLY = 0 (dual-stack: every IPv4 address too).</summary>
    V6AnyDual,
    /// <summary>[::] on an IPv6 socket with IPV6_V6ONLY = 1 (IPv6 only).</summary>
    V6AnyOnly,
    /// <summary>[::1] on an IPv6 socket.</summary>
    V6Loopback,
    /// <summary>[::ffff:127.0.0.1], 127.0.0.1 written as a v4-mapped address, on an IPv6 socket with IPV6_V6ONLY = 0.</summary>
    V4Mapped,
}

/// <summary>Addresses, families and labels of <see cref="StackAddress"/> values.</summary>
public static class StackAddresses
{
    /// <summary>Every address in teaching order.</summary>
    public static IReadOnlyList<StackAddress> All { get; } = Enum.GetValues<StackAddress>();

    /// <summary>The address a socket binds.</summary>
    public static IPAddress Address(this StackAddress a) => a switch
    {
        StackAddress.V4Any => IPAddress.Any,
        StackAddress.V4Loopback => IPAddress.Loopback,
        StackAddress.V6AnyDual or StackAddress.V6AnyOnly => IPAddress.IPv6Any,
        StackAddress.V6Loopback => IPAddress.IPv6Loopback,
        _ => IPAddress.Loopback.MapToIPv6(),
    };

    /// <summary>The socket's family.</summary>
    public static AddressFamily Family(this StackAddress a) => a is StackAddress.V4Any or StackAddress.V4Loopback ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>The IPV6_V6ONLY value the case sets, or null where it sets none (IPv4 sockets, and [::1], which keeps the OS's default).</summary>
    public static bool? V6Only(this StackAddress a) => a switch
    {
        StackAddress.V6AnyOnly => true,
        StackAddress.V6AnyDual or StackAddress.V4Mapped => false,
        _ => null,
    };

    /// <summary>Whether the address is a wildcard (reachable from every interface while bound): such cases run only in the lab.</summary>
    public static bool IsWildcard(this StackAddress a) => a is StackAddress.V4Any or StackAddress.V6AnyDual or StackAddress.V6AnyOnly;

    /// <summary>"0.0.0.0", "[::] dual-stack", "[::] V6ONLY"….</summary>
    public static string Label(this StackAddress a) => a switch
    {
        StackAddress.V4Any => "0.0.0.0",
        StackAddress.V4Loopback => "127.0.0.1",
        StackAddress.V6AnyDual => "[::] dual-stack",
        StackAddress.V6AnyOnly => "[::] V6ONLY",
        StackAddress.V6Loopback => "[::1]",
        _ => "[::ffff:127.0.0.1]",
    };

    /// <summary>The short name in case ids: "v4any", "v6any-dual"….</summary>
    public static string Slug(this StackAddress a) => a switch
    {
        StackAddress.V4Any => "v4any",
        StackAddress.V4Loopback => "v4lo",
        StackAddress.V6AnyDual => "v6any-dual",
        StackAddress.V6AnyOnly => "v6any-only",
        StackAddress.V6Loopback => "v6lo",
        _ => "v4mapped",
    };

    /// <summary>How .NET spells the socket: "new Socket(SocketType.Stream, …) { DualMode = true }, Bind(IPv6Any)"….</summary>
    public static string DotnetSpelling(this StackAddress a) => a switch
    {
        StackAddress.V4Any => "AddressFamily.InterNetwork, Bind(IPAddress.Any)",
        StackAddress.V4Loopback => "AddressFamily.InterNetwork, Bind(IPAddress.Loopback)",
        StackAddress.V6AnyDual => "DualMode = true, Bind(IPAddress.IPv6Any)",
        StackAddress.V6AnyOnly => "DualMode = false, Bind(IPAddress.IPv6Any)",
        StackAddress.V6Loopback => "Bind(IPAddress.IPv6Loopback)",
        _ => "DualMode = true, Bind(IPAddress.Loopback.MapToIPv6())",
    };
}

/// <summary>One dual-stack case: the path, the protocol, both addresses and the options both sockets set.</summary>
/// <param name="Api">The OS's own calls, or plain .NET (whose Bind sets SO_REUSEADDR itself on Unix).</param>
/// <param name="Protocol">TCP (both listen) or UDP (both bind).</param>
/// <param name="First">The holder's address.</param>
/// <param name="Second">The second socket's address.</param>
/// <param name="Options">The options both sockets set (None on the .NET path).</param>
public sealed record DualStackCase(BindApi Api, ProtocolType Protocol, StackAddress First, StackAddress Second, SocketOptionSet Options)
{
    /// <summary>"native-tcp-reuseport-v6any-dual-then-v4lo".</summary>
    public string Name => $"{(Api == BindApi.Native ? "native" : "dotnet")}-{(Protocol == ProtocolType.Tcp ? "tcp" : "udp")}-{Matrix.OptionChoices.ToSlug(Options)}-{First.Slug()}-then-{Second.Slug()}";

    /// <summary>Whether either address is a wildcard.</summary>
    public bool UsesWildcard => First.IsWildcard() || Second.IsWildcard();

    /// <summary>Whether either socket is IPv6.</summary>
    public bool UsesIpv6 => First.Family() == AddressFamily.InterNetworkV6 || Second.Family() == AddressFamily.InterNetworkV6;
}

/// <summary>One measured dual-stack case.</summary>
/// <param name="Case">The case.</param>
/// <param name="Step">The second socket's deciding step: "bind", or "listen" for TCP when the bind succeeded.</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The errno number, or null.</param>
/// <param name="FirstReadback">The holder's options (and IPV6_V6ONLY as "IPV6_V6ONLY") read back.</param>
/// <param name="SecondReadback">The second socket's, read back.</param>
/// <param name="Namespace">"lab" when it ran in the private network lab, "host" on this machine's loopback.</param>
public sealed record DualStackOutcome(DualStackCase Case, string Step, string Outcome, int? Errno, IReadOnlyDictionary<string, int> FirstReadback, IReadOnlyDictionary<string, int> SecondReadback, string Namespace)
{
    /// <summary>Whether the second socket got the port.</summary>
    public bool Ok => Outcome == "ok";

    /// <summary>The case as results.json records it.</summary>
    public CaseRecord ToCase() => new("P3", Case.Name, Case.Api == BindApi.Native ? "native" : "dotnet", Case.Protocol == ProtocolType.Tcp ? "tcp" : "udp",
        Case.Protocol == ProtocolType.Tcp ? "listen" : "udp",
        new SocketSide(Case.First.Label(), Case.Protocol == ProtocolType.Tcp ? "tcp" : "udp", Case.Options.ToNames().ToList()),
        new SocketSide(Case.Second.Label(), Case.Protocol == ProtocolType.Tcp ? "tcp" : "udp", Case.Options.ToNames().ToList()), Step, Outcome, Errno)
    {
        Readback = SecondReadback,
        Details = new JsonObject
        {
            ["first"] = Case.First.Label(),
            ["second"] = Case.Second.Label(),
            ["first_v6only"] = FirstReadback.TryGetValue("IPV6_V6ONLY", out var f) ? f : null,
            ["second_v6only"] = SecondReadback.TryGetValue("IPV6_V6ONLY", out var s) ? s : null,
            ["namespace"] = Namespace,
        },
    };
}

/// <summary>A dual-stack case left out, and why.</summary>
/// <param name="Case">The case.</param>
/// <param name="Reason">Why, in one sentence.</param>
public sealed record DualStackSkip(DualStackCase Case, string Reason);

/// <summary>Scenario P3: the bind matrix across IPv4 and IPv6, measured.</summary>
/// <param name="Outcomes">Every measured case.</param>
/// <param name="Skipped">Cases not measured here, with the reason.</param>
public sealed record DualStackMatrix(IReadOnlyList<DualStackOutcome> Outcomes, IReadOnlyList<DualStackSkip> Skipped) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Outcomes.Select(o => o.ToCase());

    /// <summary>The measured case for the given combination, or null.</summary>
    public DualStackOutcome? Find(BindApi api, ProtocolType protocol, StackAddress first, StackAddress second, SocketOptionSet options = SocketOptionSet.None) =>
        Outcomes.FirstOrDefault(o => o.Case == new DualStackCase(api, protocol, first, second, options));

    /// <summary>One grid per path, protocol and options: the holder's address down, the second socket's across.</summary>
    public override string ToHtml()
    {
        var groups = Outcomes.GroupBy(o => (o.Case.Api, o.Case.Protocol, o.Case.Options)).ToList();
        var html = new System.Text.StringBuilder();
        if (Skipped.Count > 0)
        {
            html.Append($"<p><b>Not measured here:</b> {Skipped.Count} cases — {Html.E(string.Join("; ", Skipped.Select(s => s.Reason).Distinct()))}.</p>");
        }
        foreach (var g in groups)
        {
            var label = g.Key.Api == BindApi.Native ? $"OS calls, {(g.Key.Protocol == ProtocolType.Tcp ? "TCP (both listen)" : "UDP")}, options on both: {g.Key.Options.ToLabel()}" : $".NET, {(g.Key.Protocol == ProtocolType.Tcp ? "TCP (both listen)" : "UDP")}, plain Bind";
            html.Append($"<p><b>{Html.E(label)}</b> — holder down, second socket across</p>");
            var columns = StackAddresses.All.Where(a => g.Any(o => o.Case.Second == a)).ToList();
            html.Append(Html.Table(new[] { "holder \\ second" }.Concat(columns.Select(c => Html.E(c.Label()))),
                StackAddresses.All.Where(a => g.Any(o => o.Case.First == a)).Select(first => new[] { Html.E(first.Label()) }.Concat(columns.Select(second =>
                    g.FirstOrDefault(o => o.Case.First == first && o.Case.Second == second) is { } o ? Html.Badge(o.Outcome, $"{o.Step} ({o.Namespace})") : "—")))));
        }
        return $"<div class=\"course-outcome\">{html}</div>";
    }

    /// <summary>A count per outcome.</summary>
    public override string ToString() => $"{Outcomes.Count} cases: {string.Join(", ", Outcomes.GroupBy(o => o.Outcome).Select(g => $"{g.Count()} {g.Key}"))}; {Skipped.Count} not measured";
}

/// <summary>
/// Linux's bind rule across families, as a predictor. Two addresses overlap when some address is covered by both: 0.0.0.0 covers
/// every IPv4 address and its v4-mapped form; [::] dual-stack covers everything; [::] with IPV6_V6ONLY every IPv6 address but
/// no IPv4 or v4-mapped one; [::ffff:127.0.0.1] is 127.0.0.1. Overlapping sockets of one protocol conflict unless both set SO_REUSEPORT
/// (same user), or both set SO_REUSEADDR and the holder does not listen (UDP never listens).
/// </summary>
public sealed record DualStackRule(IReadOnlyList<(DualStackOutcome Outcome, bool PredictedOk, string Reason)> Predictions) : HtmlResult
{
    /// <summary>The rule in words, for the chapter.</summary>
    public const string LinuxRule = "Two sockets' addresses overlap when one address is covered by both: 0.0.0.0 covers every IPv4 address, also written v4-mapped; [::] dual-stack covers every address of both families; [::] with IPV6_V6ONLY covers IPv6 only, not v4-mapped; [::ffff:127.0.0.1] is 127.0.0.1. Overlapping sockets conflict unless both set SO_REUSEPORT, or both set SO_REUSEADDR and the holder does not listen.";

    /// <summary>Whether two addresses overlap under the rule (symmetric).</summary>
    public static bool Overlap(StackAddress a, StackAddress b)
    {
        // What each address covers: "4" every IPv4 address (also v4-mapped), "4lo" 127.0.0.1 only, "6" every IPv6 address, "6lo" ::1 only.
        static HashSet<string> Covers(StackAddress x) => x switch
        {
            StackAddress.V4Any => ["4", "4lo"],
            StackAddress.V4Loopback or StackAddress.V4Mapped => ["4lo"],
            StackAddress.V6AnyDual => ["4", "4lo", "6", "6lo"],
            StackAddress.V6AnyOnly => ["6", "6lo"],
            _ => ["6lo"],
        };
        var (ca, cb) = (Covers(a), Covers(b));
        // A wildcard covers every specific address of its family.
        if (ca.Contains("4")) ca.Add("4lo");
        if (cb.Contains("4")) cb.Add("4lo");
        if (ca.Contains("6")) ca.Add("6lo");
        if (cb.Contains("6")) cb.Add("6lo");
        return ca.Overlaps(cb);
    }

    /// <summary>The rule applied to one measured case, from the options both sockets really carried.</summary>
    public static (DualStackOutcome Outcome, bool PredictedOk, string Reason) PredictLinux(DualStackOutcome o)
    {
        static bool On(IReadOnlyDictionary<string, int> r, string name) => r.TryGetValue(name, out var v) && v == 1;
        if (!Overlap(o.Case.First, o.Case.Second))
        {
            return (o, true, "the addresses do not overlap");
        }
        if (On(o.FirstReadback, SocketOptionNames.ReusePort) && On(o.SecondReadback, SocketOptionNames.ReusePort))
        {
            return (o, true, "overlap; both SO_REUSEPORT, same user");
        }
        if (On(o.FirstReadback, SocketOptionNames.ReuseAddress) && On(o.SecondReadback, SocketOptionNames.ReuseAddress) && o.Case.Protocol == ProtocolType.Udp)
        {
            return (o, true, "overlap; both SO_REUSEADDR and the holder does not listen");
        }
        return (o, false, "overlap; neither exception applies");
    }

    /// <summary>Predicts every measured case.</summary>
    public static DualStackRule PredictLinux(DualStackMatrix matrix) => new(matrix.Outcomes.Select(PredictLinux).ToList());

    /// <summary>The cases where the measurement disagrees with the rule.</summary>
    public IReadOnlyList<(DualStackOutcome Outcome, bool PredictedOk, string Reason)> Mismatches => Predictions.Where(p => p.PredictedOk != p.Outcome.Ok).ToList();

    /// <summary>The rule, a count line and the mismatches, if any.</summary>
    public override string ToHtml() => $"<div class=\"course-outcome\"><p>{Html.E(LinuxRule)}</p><p>The rule predicts <b>{Predictions.Count - Mismatches.Count}</b> of {Predictions.Count} measured cases" +
        (Mismatches.Count == 0 ? " (all of them).</p></div>" : $"; these differ: {Html.E(string.Join(", ", Mismatches.Select(m => $"{m.Outcome.Case.Name} (predicted {(m.PredictedOk ? "ok" : "refused")}, measured {m.Outcome.Outcome})")))}.</p></div>");

    /// <summary>The count line.</summary>
    public override string ToString() => $"rule predicts {Predictions.Count - Mismatches.Count} of {Predictions.Count}" + string.Concat(Mismatches.Select(m => $"{Environment.NewLine}  {m.Outcome.Case.Name}: predicted {(m.PredictedOk ? "ok" : "refused")} ({m.Reason}), measured {m.Outcome.Step} {m.Outcome.Outcome}"));
}

/// <summary>Scenario P3: which binds conflict across IPv4 and IPv6 ([::], ::1, v4-mapped, IPV6_V6ONLY), on the OS's path and .NET's?</summary>
public static class DualStack
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "dual-stack";

    /// <summary>Every case: the OS's calls with no option, SO_REUSEADDR and SO_REUSEPORT on both, and plain .NET, for TCP and UDP and every pair of addresses.</summary>
    public static IReadOnlyList<DualStackCase> AllCases { get; } =
        (from api in new[] { BindApi.Native, BindApi.Dotnet }
         from protocol in new[] { ProtocolType.Tcp, ProtocolType.Udp }
         from options in api == BindApi.Native ? [SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ReusePort] : new[] { SocketOptionSet.None }
         from first in StackAddresses.All
         from second in StackAddresses.All
         select new DualStackCase(api, protocol, first, second, options)).ToList();

    /// <summary>
    /// Measures every case: all of them inside the private network lab where it runs (wildcard binds stay there); elsewhere only
    /// the cases on loopback addresses, here, and the wildcard ones are listed as not measured. IPv6 cases are skipped with a
    /// reason where ::1 cannot be bound.
    /// </summary>
    public static async Task<DualStackMatrix> MeasureAsync(CancellationToken cancellationToken = default)
    {
        OsInfo.EnsureSupported();
        if (OsInfo.Current != OsFamily.Linux)
        {
            return new DualStackMatrix([], AllCases.Select(c => new DualStackSkip(c, "the dual-stack matrix and its rule are Linux's; this OS has not been measured")).ToList());
        }
        var lab = NetworkLab.Availability;
        if (lab.Available)
        {
            var result = await NetworkLab.RunAsync(Experiment, new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(120), cancellationToken: cancellationToken).ConfigureAwait(false);
            return FromJson(result);
        }
        var here = AllCases.Where(c => !c.UsesWildcard).ToList();
        var measured = MeasureCases(here, "host");
        return measured with { Skipped = [.. measured.Skipped, .. AllCases.Where(c => c.UsesWildcard).Select(c => new DualStackSkip(c, $"a wildcard bind runs only in the private network lab, which is not available: {lab.Reason}"))] };
    }

    /// <summary>The lab child's side: every case, inside the namespace.</summary>
    [InsideLab(Experiment)]
    internal static JsonObject MeasureInside() => ToJson(MeasureCases(AllCases, "lab"));

    /// <summary>Measures the given cases here, each on a port free for both protocols on both loopback addresses.</summary>
    internal static DualStackMatrix MeasureCases(IReadOnlyList<DualStackCase> cases, string where)
    {
        var noIpv6 = MissingIpv6Loopback();
        var outcomes = new List<DualStackOutcome>();
        var skipped = new List<DualStackSkip>();
        foreach (var c in cases)
        {
            if (c.UsesIpv6 && noIpv6 is not null)
            {
                skipped.Add(new DualStackSkip(c, noIpv6));
                continue;
            }
            outcomes.Add(MeasureOne(c, where));
        }
        return new DualStackMatrix(outcomes, skipped);
    }

    private static string? MissingIpv6Loopback()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException e)
        {
            return $"this machine has no IPv6 loopback address ::1 (bind gave {Errno.FromCurrentOs(e.NativeErrorCode)})";
        }
    }

    private static DualStackOutcome MeasureOne(DualStackCase c, string where)
    {
        var port = FreePort();
        using var first = Open(c.Api, c.Protocol, c.First, c.Options);
        var holder = first.Bind(port);
        if (holder.Ok && c.Protocol == ProtocolType.Tcp)
        {
            holder = first.Listen();
        }
        if (!holder.Ok)
        {
            throw new InvalidOperationException($"Could not build the holder of dual-stack case {c.Name} on port {port}: {holder}.");
        }
        using var second = Open(c.Api, c.Protocol, c.Second, c.Options);
        var result = second.Bind(port);
        if (result.Ok && c.Protocol == ProtocolType.Tcp)
        {
            result = second.Listen();
        }
        return new DualStackOutcome(c, result.Step, result.Outcome, result.Error?.Number, first.Readback(), second.Readback(), where);
    }

    // A port free for TCP and UDP on 127.0.0.1 and ::1 (the OS picks it for a TCP socket on 127.0.0.1); the cases' listeners take no connection, so they leave nothing behind.
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var tcp = NativeSocket.Create(AddressFamily.InterNetwork, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            var port = tcp.LocalEndPoint!.Port;
            var free = new[] { (AddressFamily.InterNetwork, ProtocolType.Udp, IPAddress.Loopback), (AddressFamily.InterNetworkV6, ProtocolType.Tcp, IPAddress.IPv6Loopback), (AddressFamily.InterNetworkV6, ProtocolType.Udp, IPAddress.IPv6Loopback) }
                .All(t =>
                {
                    using var s = NativeSocket.Create(t.Item1, t.Item2);
                    return s.Bind(new IPEndPoint(t.Item3, port)).Ok;
                });
            if (free)
            {
                return port;
            }
        }
        throw new InvalidOperationException("The OS could not offer a port free for TCP and UDP on 127.0.0.1 and ::1 in 50 tries; close programs that hold many loopback ports.");
    }

    private static DualStackSocket Open(BindApi api, ProtocolType protocol, StackAddress address, SocketOptionSet options) =>
        api == BindApi.Native ? DualStackSocket.Native(protocol, address, options) : DualStackSocket.Dotnet(protocol, address);

    internal static JsonObject ToJson(DualStackMatrix m) => new()
    {
        ["outcomes"] = new JsonArray(m.Outcomes.Select(o => (JsonNode)new JsonObject
        {
            ["case"] = CaseToJson(o.Case), ["step"] = o.Step, ["outcome"] = o.Outcome, ["errno"] = o.Errno,
            ["first"] = new JsonObject(o.FirstReadback.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["second"] = new JsonObject(o.SecondReadback.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["namespace"] = o.Namespace,
        }).ToArray()),
        ["skipped"] = new JsonArray(m.Skipped.Select(s => (JsonNode)new JsonObject { ["case"] = CaseToJson(s.Case), ["reason"] = s.Reason }).ToArray()),
    };

    internal static DualStackMatrix FromJson(JsonObject json) => new(
        json["outcomes"]!.AsArray().Select(o => new DualStackOutcome(CaseFromJson(o!["case"]!.AsObject()), o["step"]!.GetValue<string>(), o["outcome"]!.GetValue<string>(), o["errno"]?.GetValue<int>(),
            o["first"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>()), o["second"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>()), o["namespace"]!.GetValue<string>())).ToList(),
        json["skipped"]!.AsArray().Select(s => new DualStackSkip(CaseFromJson(s!["case"]!.AsObject()), s["reason"]!.GetValue<string>())).ToList());

    private static JsonObject CaseToJson(DualStackCase c) => new()
    {
        ["api"] = c.Api.ToString(), ["protocol"] = c.Protocol.ToString(), ["first"] = c.First.ToString(), ["second"] = c.Second.ToString(), ["options"] = (int)c.Options,
    };

    private static DualStackCase CaseFromJson(JsonObject j) => new(
        Enum.Parse<BindApi>(j["api"]!.GetValue<string>()), Enum.Parse<ProtocolType>(j["protocol"]!.GetValue<string>()),
        Enum.Parse<StackAddress>(j["first"]!.GetValue<string>()), Enum.Parse<StackAddress>(j["second"]!.GetValue<string>()), (SocketOptionSet)j["options"]!.GetValue<int>());
}

/// <summary>One socket of a dual-stack case, on the OS's path (exactly the named options, IPV6_V6ONLY as the address says) or .NET's (DualMode as the address says).</summary>
internal sealed class DualStackSocket : IDisposable
{
    private readonly NativeSocket? _native;
    private readonly Socket? _dotnet;
    private readonly StackAddress _address;

    private DualStackSocket(NativeSocket? native, Socket? dotnet, StackAddress address)
    {
        _native = native;
        _dotnet = dotnet;
        _address = address;
    }

    public static DualStackSocket Native(ProtocolType protocol, StackAddress address, SocketOptionSet options)
    {
        var socket = NativeSocket.Create(address.Family(), protocol);
        try
        {
            socket.SetOptions(options).ThrowIfFailed();
            if (address.V6Only() is { } v6only)
            {
                socket.SetV6Only(v6only).ThrowIfFailed();
            }
            return new DualStackSocket(socket, null, address);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static DualStackSocket Dotnet(ProtocolType protocol, StackAddress address)
    {
        var socket = new Socket(address.Family(), protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        if (address.V6Only() is { } v6only)
        {
            socket.DualMode = !v6only;
        }
        return new DualStackSocket(null, socket, address);
    }

    public StepResult Bind(int port)
    {
        var endPoint = new IPEndPoint(_address.Address(), port);
        if (_native is not null)
        {
            return _native.Bind(endPoint);
        }
        return StepResult.Of("bind", () => _dotnet!.Bind(endPoint));
    }

    public StepResult Listen() => _native is not null ? _native.Listen(16) : StepResult.Of("listen", () => _dotnet!.Listen(16));

    /// <summary>SO_REUSEADDR, SO_REUSEPORT and (on IPv6 sockets) IPV6_V6ONLY, read back.</summary>
    public IReadOnlyDictionary<string, int> Readback()
    {
        var values = new Dictionary<string, int>(_native is not null ? _native.ReadOptions() : SocketOptionReader.Read(_dotnet!), StringComparer.Ordinal);
        if (_address.Family() == AddressFamily.InterNetworkV6)
        {
            values["IPV6_V6ONLY"] = _native is not null ? _native.ReadV6Only() ?? -1 : (_dotnet!.DualMode ? 0 : 1);
        }
        return values;
    }

    public void Dispose()
    {
        _native?.Dispose();
        _dotnet?.Dispose();
    }
}
