namespace AddressInUse.Cases;

/// <summary>One question the course measures, by the id its cases, verdicts and results.json file it under.</summary>
/// <param name="Id">The id ("A1"): a letter for the part of the catalogue, a number within it.</param>
/// <param name="Name">The short name the catalogue gives it ("restart-after-kill").</param>
/// <param name="Chapter">The chapter that teaches it ("01"); later chapters may measure it again.</param>
/// <param name="Question">The question it answers, in one sentence.</param>
public sealed record Scenario(string Id, string Name, string Chapter, string Question);

/// <summary>
/// The scenario ids, written once: A–H from /work/shared/scenarios.md (the course's catalogue), I for the C# developer's
/// chapter 11, P for the production chapters 12 and 13, and "settings" for the OS settings a chapter reads. A case filed under an
/// id not listed here is a mistake a test catches.
/// </summary>
public static class Scenarios
{
    /// <summary>The id of a setting read from the OS, filed as a case so that a verdict can rest on what this machine's setting reads.</summary>
    public const string Settings = "settings";

    /// <summary>Every scenario, in catalogue order.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("A1", "restart-after-kill", "01", "Does a server killed with a client connected restart at once on its port?"),
        new("A2", "client-closes-first", "04", "Does the server restart cleanly when the client ended the session first?"),
        new("A3", "peer-never-closes", "04", "Does a restart fail while the client never closes its end?"),
        new("A4", "listener-dies-child-serves", "05", "Does a restart bind beside an accepted connection that is still serving?"),
        new("B1", "four-way-close", "02", "Which states does each end pass through in an orderly close?"),
        new("B2", "every-state-visible", "02", "Can every closing state be held long enough to be seen in the OS's TCP table?"),
        new("B3", "simultaneous-close", "02", "What happens when both ends close at once?"),
        new("B4", "listener-close", "02", "What does closing a listener leave behind, with and without unaccepted connections?"),
        new("B5", "who-gets-time-wait", "02", "Which end holds TIME_WAIT?"),
        new("C1", "time-wait-duration", "03", "How long does TIME_WAIT last on this OS?"),
        new("C2", "why-time-wait", "03", "What does TIME_WAIT protect against?"),
        new("C3", "time-wait-pileup", "03", "How many TIME_WAIT entries pile up under a steady stream of short connections?"),
        new("C4", "reduce-timeout", "03", "Which settings shorten the closing states, and which do not touch TIME_WAIT?"),
        new("D1", "reuse-matrix", "05", "Which second bind succeeds, for every holder of the port, option pair and address pair?"),
        new("D2", "both-need-it", "05", "Must both sockets set SO_REUSEADDR to share a port?"),
        new("D3", "different-local-addresses", "06", "Can servers share a port on different local addresses?"),
        new("D4", "more-specific-hijack", "06", "Can a more specific bind take connections from a wildcard listener?"),
        new("D5", "tcp-and-udp", "07", "Can TCP and UDP, or two UDP sockets, share a port, and which one receives?"),
        new("D6", "multicast", "07", "Do all receivers of one multicast group on one port receive?"),
        new("D7", "five-tuple", "06", "Why is sharing a local port safe: do two connections with one local port coexist?"),
        new("E1", "bind-before-connect", "08", "Can a client reconnect from the same local port while its old connection is in TIME_WAIT?"),
        new("E2", "ephemeral-ports", "08", "How many local ports do short client connections hold in TIME_WAIT?"),
        new("E3", "tcp-tw-reuse", "08", "What do tcp_tw_reuse and timestamps let an outgoing connection reuse?"),
        new("F1", "remote-closes-first", "09", "Does letting the client close first move TIME_WAIT off the server?"),
        new("F2", "linger-zero", "09", "What does closing with SO_LINGER {on, 0} cost?"),
        new("F3", "best-practice", "05", "Is SO_REUSEADDR on every TCP server before bind enough, and when is it not wise?"),
        new("G1", "dotnet-bind-default", "01", "Does .NET's Socket.Bind set SO_REUSEADDR by itself?"),
        new("G2", "dotnet-reuseaddress-is-two-options", "10", "Which OS options does .NET's ReuseAddress set?"),
        new("G3", "exclusive-address-use", "10", "What does ExclusiveAddressUse protect against on each OS?"),
        new("H1", "os-comparison", "10", "What differs between Linux, macOS and Windows?"),
        new("I1", "csharp-bind-errors", "11", "What does a C# server's bind error say, and who holds the port?"),
        new("I2", "option-spellings", "11", "How is each socket option spelled in C#, and what does it really set?"),
        new("P1", "httpclient-per-request", "12", "Does a client that opens a connection per request run out of local ports?"),
        new("P2", "bind-then-listen", "13", "Does a successful bind() mean the port is yours, or can listen() still fail?"),
        new("P3", "dual-stack", "13", "Can IPv4 and IPv6 sockets, and localhost, share one port?"),
        new("P4", "rolling-restart", "13", "Does a rolling restart on one port drop connections?"),
        new("P5", "server-port-in-range", "12", "Can clients take a server's port that lies inside the ephemeral range?"),
        new("P6", "reuseport-users", "13", "Who may join a SO_REUSEPORT group on a port?"),
        new(Settings, "os-settings", "00", "What does this OS's own setting read (never written)?"),
    ];

    private static readonly Dictionary<string, Scenario> ById = All.ToDictionary(s => s.Id, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="id"/> is a registered scenario id.</summary>
    public static bool IsKnown(string id) => ById.ContainsKey(id);

    /// <summary>The scenario with this id; an unknown id is an <see cref="ArgumentException"/> naming the known ones.</summary>
    public static Scenario Get(string id) =>
        ById.TryGetValue(id, out var scenario)
            ? scenario
            : throw new ArgumentException($"No scenario is called '{id}'. Known ids: {string.Join(", ", ById.Keys)}. Fix: use one of them or add it to Cases/Scenarios.cs.", nameof(id));

    /// <summary>The scenarios a chapter teaches ("05"), in catalogue order.</summary>
    public static IReadOnlyList<Scenario> TaughtIn(string chapter) => All.Where(s => s.Chapter == chapter).ToList();
}
