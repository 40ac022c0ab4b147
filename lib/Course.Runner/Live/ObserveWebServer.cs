using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using AddressInUse.Charts;
using AddressInUse.Observation;

namespace Course.Runner.Live;

/// <summary>
/// `course observe --port P --web`: a page on a loopback port that draws every socket on port P as a live state
/// timeline (the bundled plotly.js, no CDN), with each change pushed to the browser as a server-sent event.
/// </summary>
/// <remarks>HttpListener (in the base library) serves it: one page and one event stream need no web framework.</remarks>
public sealed class ObserveWebServer
{
    private readonly int _port;
    private readonly TimeSpan _interval;
    private readonly IPAddress _address;
    private readonly List<string> _history = new();
    private readonly List<Channel<string>> _subscribers = new();
    private readonly object _gate = new();
    // Every local user can connect to a loopback port; only someone who read observe's own output knows this (as Jupyter does).
    private readonly string _token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Prepares a live view of TCP port <paramref name="port"/>, served on <paramref name="address"/> (loopback only).</summary>
    public ObserveWebServer(int port, TimeSpan interval, IPAddress? address = null)
    {
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The port to watch is 1 to 65535.");
        }
        _address = address ?? IPAddress.Loopback;
        if (!IPAddress.IsLoopback(_address))
        {
            throw new ArgumentException($"The live view serves loopback only; {_address} is not a loopback address (use 127.0.0.1).", nameof(address));
        }
        _port = port;
        _interval = interval;
    }

    /// <summary>The address the page is served on, with its token, once <see cref="RunAsync"/> has started.</summary>
    public Uri? Url { get; private set; }

    /// <summary>The name of the query parameter that carries the token.</summary>
    public const string TokenParameter = "token";

    /// <summary>Parses the address given to --web-address, refusing anything but a loopback address.</summary>
    public static IPAddress ParseLoopback(string text)
    {
        if (!IPAddress.TryParse(text, out var address))
        {
            throw new ArgumentException($"--web-address {text} is not an IP address; use 127.0.0.1 (or another loopback address).");
        }
        // ::ffff:127.0.0.1 is 127.0.0.1 written as IPv6; an IPv6 socket cannot bind it, the IPv4 one it names can.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"--web-address {text} is not a loopback address: the live view is never served to the network. Use 127.0.0.1.");
        }
        // .NET's HttpListener off Windows (the managed one) reads the port after the first ':' of the host, so it refuses every
        // IPv6 prefix such as http://[::1]:8080/ (dotnet/runtime#34399, open since 2020); Windows' http.sys serves it.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !OperatingSystem.IsWindows())
        {
            throw new ArgumentException($"--web-address {text}: the live view is served on IPv4 loopback only on this OS (.NET's HttpListener here refuses IPv6 addresses, dotnet/runtime#34399). Fix: --web-address 127.0.0.1 (any 127.x.y.z works).");
        }
        return address;
    }

    /// <summary>Serves the page until cancelled (Ctrl+C); the first line written is "serving http://127.0.0.1:NNNN/?token=…", the only address that is served.</summary>
    public async Task RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        using var listener = StartListener();
        output.WriteLine($"serving {Url}");
        output.WriteLine($"watching TCP port {_port} every {_interval.TotalMilliseconds:0} ms; open the address above in a browser (Ctrl+C stops)");
        output.Flush();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.Run(() => WatchAsync(stop.Token), CancellationToken.None);
        var serving = new List<Task>();
        // Abort, not Stop: on Unix a listener Disposed after Stop frees its port, then binds it again to unregister (HttpEndPointManager),
        // which throws "Address already in use" when another program took the port in between; after Abort, Dispose does nothing.
        using (stop.Token.Register(() => listener.Abort()))
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException && stop.IsCancellationRequested)
                {
                    break;
                }
                serving.RemoveAll(t => t.IsCompleted);
                serving.Add(Task.Run(() => HandleAsync(context, stop.Token), CancellationToken.None));
            }
        }
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
        }
        await watching.ConfigureAwait(false);
        await Task.WhenAll(serving).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        output.WriteLine("stopped");
    }

    // A free loopback port from the OS, then HttpListener on exactly that address; retried if another program takes the port in between.
    private HttpListener StartListener()
    {
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(_address, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            var host = _address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_address}]" : _address.ToString();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://{host}:{port}/");
            try
            {
                listener.Start();
                Url = new Uri($"http://{host}:{port}/?{TokenParameter}={_token}");
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var watch = SocketWatch.ForPort(_port);
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var change in watch.Poll())
            {
                var json = change.ToJson();
                lock (_gate)
                {
                    _history.Add(json);
                    foreach (var subscriber in _subscribers)
                    {
                        subscriber.Writer.TryWrite(json);
                    }
                }
            }
            try
            {
                await Task.Delay(_interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        var response = context.Response;
        try
        {
            // Only pages asked for by this address: a page elsewhere cannot reach the view through a rebinding host name.
            if (context.Request.Url is not { } url || !IPAddress.TryParse(url.Host.Trim('[', ']'), out var host) || !IPAddress.IsLoopback(host))
            {
                response.StatusCode = 403;
                return;
            }
            // Another local user reaches the port too (loopback is shared by every user): without the token nothing is served.
            if (!HasToken(context.Request))
            {
                response.StatusCode = 403;
                await WriteAsync(response, "text/plain; charset=utf-8", "This live view needs the address with ?token=… that `course observe --web` printed on its first line.\n", cancellationToken).ConfigureAwait(false);
                return;
            }

            switch (url.AbsolutePath)
            {
                case "/":
                    await WriteAsync(response, "text/html; charset=utf-8", Page(_port, _token), cancellationToken).ConfigureAwait(false);
                    break;
                case "/plotly.min.js":
                    await WriteAsync(response, "text/javascript; charset=utf-8", PlotlyBundle.Script, cancellationToken).ConfigureAwait(false);
                    break;
                case "/events":
                    await StreamAsync(response, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    response.StatusCode = 404;
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The browser went away or the server is stopping.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    private bool HasToken(HttpListenerRequest request)
    {
        var given = request.QueryString[TokenParameter] ?? "";
        // Fixed-time comparison: the answer's timing tells nothing about how much of a guess was right.
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), Encoding.ASCII.GetBytes(_token));
    }

    private static async Task WriteAsync(HttpListenerResponse response, string type, string body, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentType = type;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    // Server-sent events: everything seen so far, then each change as it happens.
    private async Task StreamAsync(HttpListenerResponse response, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers["Cache-Control"] = "no-cache";
        response.SendChunked = true;
        var channel = Channel.CreateUnbounded<string>();
        lock (_gate)
        {
            foreach (var json in _history)
            {
                channel.Writer.TryWrite(json);
            }
            _subscribers.Add(channel);
        }
        try
        {
            var stream = response.OutputStream;
            await stream.WriteAsync(Encoding.UTF8.GetBytes(": connected\n\n"), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var json in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes($"data: {json}\n\n"), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>The page: a plotly timeline (one row per socket, one coloured bar per state) and the list of changes, fed by /events; its own requests carry the token.</summary>
    public static string Page(int port, string token)
    {
        var colors = System.Text.Json.JsonSerializer.Serialize(TimelineChart.StateColors);
        return $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>TCP port {{port}} — live</title>
            <script src="/plotly.min.js?token={{token}}"></script>
            <style>body{font-family:system-ui,sans-serif;margin:1rem 2rem}#chart{height:70vh}#changes{font-family:monospace;font-size:.9rem;max-height:20vh;overflow:auto}</style>
            </head><body>
            <h1>Every socket on TCP port {{port}}, live</h1>
            <p id="status">connecting…</p>
            <div id="chart"></div>
            <ol id="changes"></ol>
            <script>
            const colors = {{colors}};
            const sockets = new Map(); // "local → remote" → [{state, from, to}]
            let now = 0;
            function redraw() {
              const byState = new Map();
              for (const [label, spans] of sockets) for (const s of spans) {
                if (s.state === 'CLOSED') continue;
                const to = s.to ?? now;
                // A gap between two reads is drawn as unknown (hatched), never as the state seen before it.
                const unknown = s.state === '?';
                if (!byState.has(s.state)) byState.set(s.state, unknown
                  ? {type:'bar', orientation:'h', name:'not read (state unknown)', y:[], x:[], base:[], width:0.45, marker:{color:'#eeeeee', pattern:{shape:'/', fgcolor:'#9e9e9e', size:6 }, line:{color:'#bdbdbd', width:1} }, hovertemplate:'%{y}<br>no read %{base:.0f}–%{customdata:.0f} ms<extra></extra>', customdata:[]}
                  : {type:'bar', orientation:'h', name:s.state, y:[], x:[], base:[], marker:{color:colors[s.state] ?? '#777'}, hovertemplate:'%{y}<br>'+s.state+' %{base:.0f}–%{customdata:.0f} ms<extra></extra>', customdata:[]});
                const t = byState.get(s.state); t.y.push(label); t.base.push(s.from); t.x.push(Math.max(to - s.from, 1)); t.customdata.push(to);
              }
              Plotly.react('chart', [...byState.values()], {barmode:'overlay', xaxis:{title:'ms since observe started'}, yaxis:{automargin:true}, margin:{t:20} });
            }
            const events = new EventSource('/events?token={{token}}');
            events.onopen = () => document.getElementById('status').textContent = 'live: watching port {{port}}';
            events.onerror = () => document.getElementById('status').textContent = 'disconnected (observe stopped?)';
            events.onmessage = e => {
              const c = JSON.parse(e.data);
              now = Math.max(now, c.t_ms);
              const label = c.local + ' → ' + c.remote;
              const spans = sockets.get(label) ?? [];
              if (spans.length) {
                // The old state was last seen at the read before this one; what happened in between is unknown.
                const seen = c.from_seen_ms ?? c.t_ms;
                spans[spans.length - 1].to = seen;
                if (seen < c.t_ms) spans.push({state:'?', from:seen, to:c.t_ms});
              }
              spans.push({state:c.to, from:c.t_ms, to: c.to === 'CLOSED' ? c.t_ms : null});
              sockets.set(label, spans);
              const li = document.createElement('li');
              li.dataset.local = c.local; li.dataset.remote = c.remote; li.dataset.to = c.to;
              li.textContent = c.t_ms.toFixed(1) + ' ms  ' + label + '  ' + (c.from ?? '(new)') + ' → ' + c.to;
              document.getElementById('changes').appendChild(li);
              redraw();
            };
            setInterval(() => { if (sockets.size) { now += 500; redraw(); } }, 500);
            </script>
            </body></html>
            """;
    }
}
