using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AddressInUse.Observation;

namespace Course.EndToEnd.RealClients;

/// <summary>
/// A real Jupyter Notebook 6 server for one test: on 127.0.0.1 only, on a port the OS picks (read back from the OS's TCP table),
/// with a random token and private config, data and runtime folders (so no notebook is trusted), ended with its process tree on dispose.
/// </summary>
/// <remarks>Linux only: the port the OS gave the server is read from /proc (the server itself reports the port 0 it was asked for).</remarks>
internal sealed class JupyterNotebookServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private JupyterNotebookServer(Process process, string token, int port)
    {
        _process = process;
        Token = token;
        Port = port;
    }

    /// <summary>The token every request must carry.</summary>
    public string Token { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The address of a notebook of the served folder, token included.</summary>
    public string NotebookUrl(string fileName) => $"http://127.0.0.1:{Port}/notebooks/{Uri.EscapeDataString(fileName)}?token={Token}";

    /// <summary>What the server printed so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts `jupyter notebook` serving <paramref name="notebookFolder"/>, its Jupyter folders under <paramref name="privateRoot"/>; returns once it
    /// listens, having checked that every socket it listens on is 127.0.0.1; kills it and throws when that takes longer than <paramref name="timeout"/>.
    /// </summary>
    public static async Task<JupyterNotebookServer> StartAsync(string notebookFolder, string privateRoot, TimeSpan timeout)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var start = NotebookClientProcess.StartInfo("jupyter",
        [
            "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", "--port=0", "--port-retries=0",
            $"--NotebookApp.token={token}", $"--notebook-dir={notebookFolder}",
            // If the test host dies before it can end the server, the server ends itself once idle this long.
            "--NotebookApp.shutdown_no_activity_timeout=600",
        ], notebookFolder, privateRoot);
        start.Environment["IPYTHONDIR"] = Path.Combine(privateRoot, "ipython");
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        var log = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (log)
                {
                    log.AppendLine(line);
                }
            }
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var listening = await ListeningSocketsAsync(process, Path.Combine(privateRoot, "jupyter-runtime"), timeout, () => { lock (log) { return log.ToString(); } });
            var notLoopback = listening.Where(e => !e.Address.Equals(IPAddress.Loopback)).ToList();
            if (notLoopback.Count > 0 || listening.Count != 1)
            {
                throw new InvalidOperationException($"The Jupyter server must listen on 127.0.0.1 only; it listens on {string.Join(", ", listening)}.");
            }
            var server = new JupyterNotebookServer(process, token, listening[0].Port);
            lock (log)
            {
                server._log.Append(log);
            }
            process.OutputDataReceived += (_, e) => server.Append(e.Data);
            process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            return server;
        }
        catch
        {
            End(process);
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    // Polls until the server has written its nbserver-<pid>.json (it does so once it listens), then reads its listening sockets from /proc.
    private static async Task<List<IPEndPoint>> ListeningSocketsAsync(Process process, string runtimeFolder, TimeSpan timeout, Func<string> log)
    {
        List<IPEndPoint> sockets = [];
        var listening = await Poll.TryUntilAsync(() =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"jupyter notebook exited {process.ExitCode} before it listened:\n{log()}");
            }
            var info = Directory.Exists(runtimeFolder) ? Directory.GetFiles(runtimeFolder, "nbserver-*.json") : [];
            sockets = info.Length > 0 && JsonNode.Parse(File.ReadAllText(info[0]))?["pid"] is JsonValue pid ? ListeningSockets((int)pid) : [];
            return sockets.Count > 0;
        }, timeout);
        return listening ? sockets : throw new TimeoutException($"jupyter notebook did not listen within {timeout.TotalSeconds:F0} s:\n{log()}");
    }

    // The local addresses of the TCP sockets in LISTEN that the process holds: its fds' socket inodes matched with /proc/net/tcp and tcp6.
    private static List<IPEndPoint> ListeningSockets(int pid)
    {
        var inodes = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)
                && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                inodes.Add(inode);
            }
        }
        var listening = new List<IPEndPoint>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // Columns: sl local rem st tx:rx tr:tm retrnsmt uid timeout inode …
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (TcpTable.ParseProcLine(line) is { State: System.Net.NetworkInformation.TcpState.Listen } entry
                    && fields.Length > 9 && long.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) && inodes.Contains(inode))
                {
                    listening.Add(entry.Local);
                }
            }
        }
        return listening;
    }

    /// <summary>Ends the server and every process it started (kernels included).</summary>
    public void Dispose() => End(_process);

    private static void End(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        process.Dispose();
    }
}
