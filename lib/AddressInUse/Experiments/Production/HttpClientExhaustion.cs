using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Production;

/// <summary>One link of the exception chain a failed request threw, outermost first.</summary>
/// <param name="Type">The exception's type name, e.g. "HttpRequestException".</param>
/// <param name="Message">Its message.</param>
/// <param name="SocketError">For a SocketException, its SocketErrorCode ("AddressNotAvailable").</param>
/// <param name="NativeErrorCode">For a SocketException, the OS's own number (99 on Linux).</param>
/// <param name="HttpRequestError">For an HttpRequestException, its HttpRequestError ("ConnectionError").</param>
public sealed record ExceptionLink(string Type, string Message, string? SocketError, int? NativeErrorCode, string? HttpRequestError)
{
    /// <summary>The chain of an exception, outermost first.</summary>
    public static IReadOnlyList<ExceptionLink> ChainOf(Exception exception)
    {
        var links = new List<ExceptionLink>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            links.Add(new ExceptionLink(e.GetType().Name, e.Message,
                e is SocketException s ? s.SocketErrorCode.ToString() : null,
                e is SocketException n ? n.NativeErrorCode : null,
                e is HttpRequestException h ? h.HttpRequestError.ToString() : null));
        }
        return links;
    }

    internal JsonObject ToJson() => new()
    {
        ["type"] = Type, ["message"] = Message, ["socket_error"] = SocketError, ["native_error_code"] = NativeErrorCode, ["http_request_error"] = HttpRequestError,
    };

    internal static ExceptionLink FromJson(JsonNode json) => new(
        json["type"]!.GetValue<string>(), json["message"]!.GetValue<string>(), json["socket_error"]?.GetValue<string>(),
        json["native_error_code"]?.GetValue<int>(), json["http_request_error"]?.GetValue<string>());
}

/// <summary>One request loop in its own lab namespace: how the client made its HttpClient, the settings, and what came of it.</summary>
/// <param name="Use">"per-request" (new HttpClient per request, disposed), "shared" (one HttpClient with PooledConnectionLifetime) or "factory" (IHttpClientFactory.CreateClient per request).</param>
/// <param name="TwReuse">net.ipv4.tcp_tw_reuse in the namespace.</param>
/// <param name="PortRange">net.ipv4.ip_local_port_range in the namespace while the loop ran.</param>
/// <param name="Ports">How many ephemeral ports that range holds.</param>
/// <param name="Requested">How many requests the loop meant to make.</param>
/// <param name="Succeeded">How many got their 200.</param>
/// <param name="FailedAt">The number of the first request that failed (1-based), or null when none did.</param>
/// <param name="Chain">The failed request's exception chain, outermost first (empty when none failed).</param>
/// <param name="ClientTimeWait">Client-side TIME_WAIT entries towards the server right after the loop.</param>
/// <param name="Connections">Connections the server accepted: one client port each.</param>
/// <param name="RatePerSecond">The loop's pace, requests a second.</param>
/// <param name="Seconds">How long the loop ran.</param>
public sealed record HttpClientRun(string Use, string TwReuse, string PortRange, int Ports, int Requested, int Succeeded, int? FailedAt,
    IReadOnlyList<ExceptionLink> Chain, int ClientTimeWait, int Connections, double RatePerSecond, double Seconds)
{
    /// <summary>The innermost SocketException of the chain, or null.</summary>
    public ExceptionLink? Socket => Chain.LastOrDefault(l => l.SocketError is not null);

    /// <summary>The errno of the failure (EADDRNOTAVAIL), named from the OS's number, or null.</summary>
    public Errno? Errno => Socket?.NativeErrorCode is { } n ? Native.Errno.FromCurrentOs(n) : null;

    /// <summary>"new HttpClient() per request", …, for tables.</summary>
    public string Label => Use switch
    {
        "per-request" => "new HttpClient() per request",
        "shared" => "one shared HttpClient (PooledConnectionLifetime)",
        "factory" => "IHttpClientFactory.CreateClient() per request",
        _ => Use,
    };
}

/// <summary>
/// Scenario P1: a client that creates and disposes an HttpClient per request, in the private network lab with a small
/// ephemeral range and tcp_tw_reuse = 0 (what Linux does for every non-loopback peer under its default 2), and the fixes.
/// </summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Runs">Every loop (empty when the lab could not run).</param>
/// <param name="HostSettings">This machine's own tcp_tw_reuse and ip_local_port_range, read, never written.</param>
public sealed record HttpClientExhaustionOutcome(LabAvailability Lab, IReadOnlyList<HttpClientRun> Runs, IReadOnlyDictionary<string, string?> HostSettings) : MeasuredResult
{
    /// <summary>The loop with the given client and tcp_tw_reuse, or null when not measured.</summary>
    public HttpClientRun? Find(string use, string twReuse) => Runs.FirstOrDefault(r => r.Use == use && r.TwReuse == twReuse);

    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Runs.Select(r => new CaseRecord(
        "P1", $"{r.Use}-tw_reuse{r.TwReuse}", "dotnet", "tcp", "time_wait",
        new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []),
        r.FailedAt is null ? "request" : "connect", r.Errno?.Name ?? (r.FailedAt is null ? "ok" : "failed"), r.Errno?.Number)
    {
        Settings = new Dictionary<string, string> { ["net.ipv4.tcp_tw_reuse"] = r.TwReuse, ["net.ipv4.ip_local_port_range"] = r.PortRange },
        Details = new JsonObject
        {
            ["requested"] = r.Requested,
            ["succeeded"] = r.Succeeded,
            ["failed_at"] = r.FailedAt,
            ["ports"] = r.Ports,
            ["client_time_wait"] = r.ClientTimeWait,
            ["connections"] = r.Connections,
            ["socket_error"] = r.Socket?.SocketError,
            ["http_request_error"] = r.Chain.FirstOrDefault()?.HttpRequestError,
            ["rate_per_second"] = r.RatePerSecond,
            ["seconds"] = Math.Round(r.Seconds, 2),
            ["exceptions"] = new JsonArray(r.Chain.Select(l => (JsonNode)l.ToJson()).ToArray()),
            ["where"] = "private network namespace",
        },
    });

    /// <summary>Requests that succeeded and client TIME_WAIT entries left, per loop; null when nothing was measured.</summary>
    public Figure? Chart => Runs.Count == 0 ? null : BarChart.Build("p1-httpclient", "Requests served and client ports held in TIME_WAIT",
        Runs.Select(r => $"{r.Use}<br>tcp_tw_reuse={r.TwReuse}").ToList(),
        [
            new BarSeries("requests that succeeded", Runs.Select(r => (double)r.Succeeded).ToList(), "#1b5e20"),
            new BarSeries("client TIME_WAIT after the loop", Runs.Select(r => (double)r.ClientTimeWait).ToList(), TimelineChart.StateColors["TIME_WAIT"]),
            new BarSeries("ephemeral ports in the range", Runs.Select(r => (double)r.Ports).ToList(), "#9e9e9e"),
        ], "count");

    /// <summary>One row per loop, and the failed request's exception chain.</summary>
    public override string ToHtml()
    {
        var host = string.Join(", ", HostSettings.Select(s => $"{s.Key}={s.Value ?? "n/a"}"));
        if (!Lab.Available)
        {
            return $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p><p>This machine's own settings (read, not changed): {Html.E(host)}.</p>";
        }
        var rows = Runs.Select(r => new[]
        {
            Html.E(r.Label), $"<code>{Html.E(r.TwReuse)}</code>", $"{r.Ports} <small>({Html.E(r.PortRange)})</small>",
            $"{r.Succeeded} of {r.Requested}", r.FailedAt is { } at ? Html.Badge(r.Errno?.Name ?? "failed", r.Socket?.Message) + $" at request {at}" : Html.Badge("ok"),
            r.ClientTimeWait.ToString(CultureInfo.InvariantCulture), r.Connections.ToString(CultureInfo.InvariantCulture),
        });
        var failed = Runs.FirstOrDefault(r => r.Chain.Count > 0);
        var chain = failed is null ? "" : "<p>The exception chain of the failed request (outermost first):</p>" + Html.Table(
            ["exception", "message", "SocketError", "OS number", "HttpRequestError"],
            failed.Chain.Select(l => new[] { $"<code>{Html.E(l.Type)}</code>", Html.E(l.Message), Html.E(l.SocketError ?? ""), Html.E(l.NativeErrorCode?.ToString(CultureInfo.InvariantCulture) ?? ""), Html.E(l.HttpRequestError ?? "") }));
        return $"<p>Measured in private network namespaces ({Html.E(Lab.Reason)}), at {Runs.FirstOrDefault()?.RatePerSecond ?? 0:0} requests a second. This machine's own settings, untouched: {Html.E(host)}.</p>"
            + Html.Table(["client", "tcp_tw_reuse", "ephemeral ports", "requests that succeeded", "first failure", "client TIME_WAIT after", "connections"], rows) + chain;
    }

    /// <summary>One line per loop.</summary>
    public override string ToString() => Lab.Available
        ? string.Join(Environment.NewLine, Runs.Select(r => $"{r.Use} tw_reuse={r.TwReuse}: {r.Succeeded}/{r.Requested} ok, failed at {r.FailedAt?.ToString(CultureInfo.InvariantCulture) ?? "-"} {r.Errno?.Name}, TIME_WAIT {r.ClientTimeWait}, connections {r.Connections}"))
        : $"P1 not measured: {Lab.Reason}";
}

/// <summary>Scenario P1: does an HttpClient per request run a client out of ports, and do the usual fixes stop it? Measured in the private network lab.</summary>
public static class HttpClientExhaustion
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "http-client";

    /// <summary>The loops the chapter compares: the bug with tcp_tw_reuse 0 and 2, and the two fixes with 0.</summary>
    public static IReadOnlyList<(string Use, string TwReuse)> Loops { get; } = [("per-request", "0"), ("per-request", "2"), ("shared", "0"), ("factory", "0")];

    /// <summary>Runs every loop, each in its own private namespace with a range of <paramref name="ports"/> ephemeral ports; without the lab it says why and measures nothing.</summary>
    /// <param name="ports">Ephemeral ports in the lab's range (8–1000).</param>
    /// <param name="requestsPerPort">Requests per port of the range: above 1, so the per-request loop must run out.</param>
    /// <param name="cancellationToken">Ends the lab's children.</param>
    public static async Task<HttpClientExhaustionOutcome> RunAsync(int ports = 64, double requestsPerPort = 2.5, CancellationToken cancellationToken = default)
    {
        if (ports is < 8 or > 1000 || requestsPerPort is <= 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(ports), $"ports must be 8-1000 and requestsPerPort above 1 and at most 10 (got {ports} and {requestsPerPort}). Fix: use the defaults.");
        }
        var host = new Dictionary<string, string?>
        {
            ["net.ipv4.tcp_tw_reuse"] = LabSettings.Read("net.ipv4.tcp_tw_reuse"),
            ["net.ipv4.ip_local_port_range"] = LabSettings.Read("net.ipv4.ip_local_port_range"),
        };
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new HttpClientExhaustionOutcome(lab, [], host);
        }
        // Half the range a second: with tcp_tw_reuse_delay at 1 s a reusing kernel always has a port whose TIME_WAIT is old enough.
        var rate = ports / 2.0;
        var requests = (int)Math.Ceiling(ports * requestsPerPort);
        var results = await Task.WhenAll(Loops.Select(l => NetworkLab.RunAsync(Experiment,
            new Dictionary<string, string> { ["net.ipv4.tcp_tw_reuse"] = l.TwReuse, ["net.ipv4.tcp_timestamps"] = "1" },
            new JsonObject { ["use"] = l.Use, ["ports"] = ports, ["requests"] = requests, ["rate"] = rate },
            TimeSpan.FromSeconds(60 + requests / rate * 3), cancellationToken))).ConfigureAwait(false);
        var runs = results.Select(r => new HttpClientRun(
            r["use"]!.GetValue<string>(), r["settings"]!["net.ipv4.tcp_tw_reuse"]!.GetValue<string>(), r["range"]!.GetValue<string>(),
            r["ports"]!.GetValue<int>(), r["requested"]!.GetValue<int>(), r["succeeded"]!.GetValue<int>(), r["failed_at"]?.GetValue<int>(),
            r["exceptions"]!.AsArray().Select(e => ExceptionLink.FromJson(e!)).ToList(),
            r["client_time_wait"]!.GetValue<int>(), r["connections"]!.GetValue<int>(), r["rate"]!.GetValue<double>(), r["seconds"]!.GetValue<double>())).ToList();
        return new HttpClientExhaustionOutcome(lab, runs, host);
    }

    /// <summary>The lab child's side: a lab HTTP server, a range of <c>ports</c> ephemeral ports, and the request loop.</summary>
    [InsideLab(Experiment)]
    internal static async Task<JsonObject> MeasureInsideAsync(JsonObject arguments, CancellationToken cancellationToken = default)
    {
        var use = arguments["use"]!.GetValue<string>();
        var ports = arguments["ports"]!.GetValue<int>();
        var requests = arguments["requests"]!.GetValue<int>();
        var rate = arguments["rate"]!.GetValue<double>();
        await using var server = new LabHttpServer();
        // The server got its port from the default range; the small range starts past it, so the server's port is never one of them.
        var low = server.EndPoint.Port < 40000 || server.EndPoint.Port > 41000 ? 40000 : 50000;
        var range = $"{low} {low + ports - 1}";
        LabSettings.Write("net.ipv4.ip_local_port_range", range);
        var (client, dispose) = use switch
        {
            "per-request" => ((Func<HttpClient>?)null, (IDisposable?)null),
            "shared" => Shared(),
            "factory" => Factory(),
            _ => throw new ArgumentException($"Unknown HttpClient use '{use}'; use per-request, shared or factory."),
        };
        var succeeded = 0;
        int? failedAt = null;
        IReadOnlyList<ExceptionLink> chain = [];
        var clock = Stopwatch.StartNew();
        // The loop keeps a steady pace, as a service under steady load does; the timer sets the rate, it waits for nothing.
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate));
        for (var i = 1; i <= requests; i++)
        {
            await pace.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (client is null)
                {
                    // The bug: a new HttpClient per request, disposed at once, which closes its connection from the client's side.
                    using var perRequest = new HttpClient();
                    using var response = await perRequest.GetAsync(server.BaseAddress, cancellationToken).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                }
                else
                {
                    using var response = await client().GetAsync(server.BaseAddress, cancellationToken).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                }
                succeeded++;
            }
            catch (HttpRequestException e)
            {
                failedAt = i;
                chain = ExceptionLink.ChainOf(e);
                break;
            }
        }
        var loopSeconds = clock.Elapsed.TotalSeconds;
        // Closed connections pass through FIN_WAIT_2 until the server's FIN arrives: count TIME_WAIT once none is left in between.
        var port = server.EndPoint.Port;
        IReadOnlyList<TcpEntry> table = [];
        await Poll.TryUntilAsync(() =>
        {
            table = TcpTable.Read(e => e.Remote.Port == port);
            return !table.Any(e => e.State is TcpState.FinWait1 or TcpState.FinWait2);
        }, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        var timeWait = table.Count(e => e.State == TcpState.TimeWait);
        var connections = server.Accepted;
        dispose?.Dispose();
        return new JsonObject
        {
            ["use"] = use,
            ["range"] = LabSettings.Read("net.ipv4.ip_local_port_range"),
            ["ports"] = ports,
            ["requested"] = requests,
            ["succeeded"] = succeeded,
            ["failed_at"] = failedAt,
            ["exceptions"] = new JsonArray(chain.Select(l => (JsonNode)l.ToJson()).ToArray()),
            ["client_time_wait"] = timeWait,
            ["connections"] = connections,
            ["rate"] = rate,
            ["seconds"] = loopSeconds,
        };
    }

    // The first fix: one HttpClient for the whole program; PooledConnectionLifetime makes it open a new connection now and then (DNS changes), not per request.
    private static (Func<HttpClient>, IDisposable) Shared()
    {
        var shared = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(1) });
        return (() => shared, shared);
    }

    // The second fix: IHttpClientFactory hands out cheap HttpClients over pooled handlers. Kept in its own method so only the lab's child loads Microsoft.Extensions.Http.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Func<HttpClient>, IDisposable) Factory()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions.AddHttpClient(services);
        var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IHttpClientFactory>(provider);
        return (() => factory.CreateClient(), provider);
    }
}
