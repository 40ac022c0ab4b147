using System.Net;
using AddressInUse.Child;
using AddressInUse.Native;

namespace AddressInUse.Experiments.Matrix;

/// <summary>One cell of the matrix: what holds the port, how each socket binds, and with which options.</summary>
/// <param name="Api">The bind path both sockets take: the OS's own calls, or plain .NET.</param>
/// <param name="Protocols">The protocols of the first and the second socket.</param>
/// <param name="Holder">What the first socket leaves on the port before the second one tries.</param>
/// <param name="Addresses">The local addresses of the two sockets.</param>
/// <param name="FirstOptions">The options the first socket sets before bind.</param>
/// <param name="SecondOptions">The options the second socket sets before bind.</param>
public sealed record PortSharingCase(
    BindApi Api,
    ProtocolPair Protocols,
    PortHolder Holder,
    AddressPair Addresses,
    SocketOptionSet FirstOptions,
    SocketOptionSet SecondOptions)
{
    /// <summary>The case name in results.json, unique within a scenario: "native.tcp.time_wait.same.reuseaddr.reuseaddr".</summary>
    public string Name =>
        $"{ApiName}.{Protocols.ToName().Replace('/', '-')}.{Holder.ToName()}.{Addresses.ToName()}.{OptionChoices.ToSlug(FirstOptions)}.{OptionChoices.ToSlug(SecondOptions)}";

    /// <summary>"native" or "dotnet", as results.json spells the API.</summary>
    public string ApiName => Api == BindApi.Native ? "native" : "dotnet";

    /// <summary>The address the first socket binds.</summary>
    public IPAddress FirstAddress => Addresses.First();

    /// <summary>The address the second socket binds.</summary>
    public IPAddress SecondAddress => Addresses.Second();

    /// <summary>Whether the second socket also listens after binding (it does whenever it is TCP: it plays a restarted server).</summary>
    public bool SecondListens => Protocols.Second() == System.Net.Sockets.ProtocolType.Tcp;

    /// <summary>Whether the case needs the second loopback address 127.0.0.2.</summary>
    public bool NeedsSecondLoopback => Addresses == AddressPair.TwoSpecific;

    /// <summary>"listener · 127.0.0.1 then 127.0.0.1 · tcp · native · SO_REUSEADDR → none".</summary>
    public override string ToString() =>
        $"{Holder.ToLabel()} · {Addresses.ToLabel()} · {Protocols.ToName()} · {ApiName} · " +
        $"{OptionChoices.ToLabel(FirstOptions, Api)} → {OptionChoices.ToLabel(SecondOptions, Api)}";
}

/// <summary>
/// Which cases to measure: the dimensions of the matrix and the scenario id the measured cases are filed under.
/// A plan is pure data, so the cases it stands for can be listed (and tested) without opening a socket.
/// </summary>
/// <param name="Scenario">The scenario id the cases are recorded under, e.g. "D1".</param>
/// <param name="Os">The OS whose option sets the plan uses.</param>
/// <param name="Apis">The bind paths to measure.</param>
/// <param name="Protocols">The protocol pairs to measure.</param>
/// <param name="Holders">What may hold the port.</param>
/// <param name="Addresses">The address pairs to measure.</param>
public sealed record PortSharingPlan(
    string Scenario,
    OsFamily Os,
    IReadOnlyList<BindApi> Apis,
    IReadOnlyList<ProtocolPair> Protocols,
    IReadOnlyList<PortHolder> Holders,
    IReadOnlyList<AddressPair> Addresses)
{
    /// <summary>Only these option sets on the first socket (intersected with what each path offers), or null for all.</summary>
    public IReadOnlyList<SocketOptionSet>? FirstOptions { get; init; }

    /// <summary>Only these option sets on the second socket (intersected with what each path offers), or null for all.</summary>
    public IReadOnlyList<SocketOptionSet>? SecondOptions { get; init; }

    /// <summary>When true, only cases where both sockets set the same options (the same program started twice).</summary>
    public bool SameOptionsOnBoth { get; init; }

    /// <summary>How many connections (or datagrams) per address are sent where two sockets end up sharing the port.</summary>
    public int ProbesPerTarget { get; init; } = 8;

    /// <summary>
    /// Whether cases that bind the wildcard address run inside the private network lab where it is available (true, the default),
    /// so that no socket of the course listens on the machine's own addresses; false runs them on this machine's wildcard address.
    /// </summary>
    public bool WildcardInLab { get; init; } = true;

    /// <summary>Every case the plan stands for, in a fixed order (API, protocols, holder, addresses, first options, second options).</summary>
    public IEnumerable<PortSharingCase> Cases()
    {
        if (ProbesPerTarget is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(ProbesPerTarget), ProbesPerTarget, "Use 1 to 64 probes per address: enough to see a split, few enough to stay fast.");
        }
        foreach (var api in Apis)
        {
            var offered = OptionChoices.For(api, Os);
            var firstChoices = FirstOptions is null ? offered : offered.Where(FirstOptions.Contains).ToList();
            var secondChoices = SecondOptions is null ? offered : offered.Where(SecondOptions.Contains).ToList();
            foreach (var protocols in Protocols)
            {
                foreach (var holder in Holders)
                {
                    foreach (var addresses in Addresses)
                    {
                        if (!IsMeaningful(holder, protocols, addresses))
                        {
                            continue;
                        }
                        // A free port has no first socket, so its options do not matter: one row, "none".
                        var firsts = holder == PortHolder.None ? new[] { SocketOptionSet.None } : firstChoices;
                        foreach (var first in firsts)
                        {
                            foreach (var second in secondChoices)
                            {
                                if (SameOptionsOnBoth && holder != PortHolder.None && first != second)
                                {
                                    continue;
                                }
                                yield return new PortSharingCase(api, protocols, holder, addresses, first, second);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether a holder makes sense with a protocol pair and address pair: the holder's protocol must be the first
    /// socket's; a free port is only measured at one address; and a mixed TCP/UDP pair only asks whether the two
    /// protocols have separate port spaces, so it is measured against a bound socket, a listener and a UDP socket.
    /// </summary>
    public static bool IsMeaningful(PortHolder holder, ProtocolPair protocols, AddressPair addresses)
    {
        if (holder == PortHolder.None)
        {
            return addresses == AddressPair.Same && !protocols.IsMixed();
        }
        if (holder.Protocol() != protocols.First())
        {
            return false;
        }
        return !protocols.IsMixed() || holder is PortHolder.Bound or PortHolder.Listener or PortHolder.Udp;
    }

    /// <summary>D1: every holder, option pair, address pair and protocol pair, on both bind paths.</summary>
    public static PortSharingPlan Full(OsFamily? os = null) => new(
        "D1", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, ProtocolPairs.All, PortHolders.All, AddressPairs.All);

    /// <summary>A4: the listener is gone but an accepted connection keeps serving; does a restarted server bind?</summary>
    public static PortSharingPlan ListenerDiesChildServes(OsFamily? os = null) => new(
        "A4", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, new[] { ProtocolPair.TcpTcp },
        new[] { PortHolder.Established }, new[] { AddressPair.Same })
    {
        FirstOptions = new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress },
        SecondOptions = new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress },
    };

    /// <summary>D2: seed 003's cases, where two TCP sockets share a port only if both set SO_REUSEADDR.</summary>
    public static PortSharingPlan BothNeedIt(OsFamily? os = null) => new(
        "D2", os ?? OsInfo.Current, new[] { BindApi.Native }, new[] { ProtocolPair.TcpTcp },
        new[] { PortHolder.Bound, PortHolder.ListenerWithClient, PortHolder.Connected, PortHolder.TimeWait }, new[] { AddressPair.Same })
    {
        FirstOptions = new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress },
        SecondOptions = new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress },
    };

    /// <summary>F3: "set SO_REUSEADDR on every TCP server before bind", tested against every leftover a restart can meet.</summary>
    public static PortSharingPlan BestPractice(OsFamily? os = null) => new(
        "F3", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, new[] { ProtocolPair.TcpTcp },
        new[] { PortHolder.Listener, PortHolder.Established, PortHolder.FinWait2, PortHolder.TimeWait, PortHolder.CloseWait },
        new[] { AddressPair.Same })
    {
        SecondOptions = new[] { SocketOptionSet.ReuseAddress },
    };

    /// <summary>D3: several servers on one port, each on its own loopback address, and two on the same address.</summary>
    public static PortSharingPlan DifferentLocalAddresses(OsFamily? os = null) => new(
        "D3", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, new[] { ProtocolPair.TcpTcp },
        new[] { PortHolder.Listener }, new[] { AddressPair.TwoSpecific, AddressPair.Same })
    {
        SameOptionsOnBoth = true,
    };

    /// <summary>D4: a wildcard listener and a more specific bind on the same port, in both orders; who gets the next connection?</summary>
    public static PortSharingPlan MoreSpecificHijack(OsFamily? os = null) => new(
        "D4", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, new[] { ProtocolPair.TcpTcp },
        new[] { PortHolder.Listener }, new[] { AddressPair.WildcardThenSpecific, AddressPair.SpecificThenWildcard });

    /// <summary>D5: TCP beside UDP, and UDP beside UDP, with every option pair; who receives the datagrams?</summary>
    public static PortSharingPlan TcpAndUdp(OsFamily? os = null) => new(
        "D5", os ?? OsInfo.Current, new[] { BindApi.Native, BindApi.Dotnet }, new[] { ProtocolPair.TcpUdp, ProtocolPair.UdpTcp, ProtocolPair.UdpUdp },
        new[] { PortHolder.Listener, PortHolder.Udp }, new[] { AddressPair.Same });

    /// <summary>The same plan filed under another scenario id.</summary>
    public PortSharingPlan ForScenario(string scenario) => this with { Scenario = scenario };
}
