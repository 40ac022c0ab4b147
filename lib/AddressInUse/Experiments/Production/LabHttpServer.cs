using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AddressInUse.Experiments.Production;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 at a port the OS picks: it answers every request on a connection with "200 ok"
/// and closes its end only after the client has closed, so every TIME_WAIT the experiment counts is the client's.
/// </summary>
/// <remarks>Hand-written because the lab needs port 0 and a fixed close order: HttpListener needs a fixed port, and Kestrel is an ASP.NET Core dependency the notebooks' library does not carry.</remarks>
internal sealed class LabHttpServer : IAsyncDisposable
{
    private static readonly byte[] Response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private int _accepted;

    /// <summary>Starts listening on 127.0.0.1 at a port the OS picks.</summary>
    public LabHttpServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The base address a client requests, e.g. http://127.0.0.1:40123/.</summary>
    public Uri BaseAddress => new($"http://{EndPoint}/");

    /// <summary>How many connections the server has accepted: each one is a client port the requests used.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _accepted);
                lock (_connections)
                {
                    _connections.Add(ServeAsync(connection));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            var buffer = new byte[4096];
            var pending = new StringBuilder();
            try
            {
                while (true)
                {
                    var read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        // The client closed first; now the server closes, and TIME_WAIT stays on the client's side.
                        return;
                    }
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    // A GET has no body: every blank line ends one request.
                    int end;
                    while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        pending.Remove(0, end + 4);
                        await connection.SendAsync(Response, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The experiment is over, or the client reset the connection.
            }
        }
    }

    /// <summary>Stops accepting, ends every connection and closes the listener.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }
        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
    }
}
