using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AddressInUse.Native;

namespace AddressInUse.Child;

/// <summary>How the child server's start went: listening on a port, or refused at some step with an errno.</summary>
/// <param name="Result">"ok" for listening, or the failed step with its errno.</param>
/// <param name="Port">The port it listens on (the requested port when it failed).</param>
/// <param name="Readback">The socket options read back with getsockopt inside the child.</param>
public sealed record ServerStart(StepResult Result, int Port, IReadOnlyDictionary<string, int> Readback)
{
    /// <summary>Whether the server is listening.</summary>
    public bool Listening => Result.Ok;
}

/// <summary>A real child process running the course's server, which the experiment can kill as Ctrl+C or a crash would.</summary>
public sealed class ServerProcess : IAsyncDisposable, IDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly Process _process;
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly StringWriter _stderr = new();
    private readonly Task _readOut;
    private readonly Task _readErr;

    static ServerProcess()
    {
        // Belt and braces: the child also exits when its stdin closes, but kill what is left when this process exits.
        ExitHooks.AtExit(KillAll);
    }

    private ServerProcess(Process process, ServerSpec spec)
    {
        _process = process;
        Spec = spec;
        _readOut = Task.Run(ReadStdoutAsync);
        _readErr = Task.Run(async () => _stderr.Write(await process.StandardError.ReadToEndAsync().ConfigureAwait(false)));
    }

    /// <summary>What the server was asked to do.</summary>
    public ServerSpec Spec { get; }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the child process has exited.</summary>
    public bool HasExited => HasExitedSafe(_process);

    /// <summary>How the start went (set once <see cref="StartAsync"/> returns).</summary>
    public ServerStart Start { get; private set; } = null!;

    /// <summary>How many child server processes of this library are alive right now.</summary>
    public static int LiveCount => Live.Values.Count(p => !HasExitedSafe(p));

    /// <summary>Starts the child server and waits until it listens or reports why it could not.</summary>
    public static async Task<ServerProcess> StartAsync(ServerSpec spec, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (program, prefix) = ChildCommand.For(LibraryAssemblyPath());
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in prefix.Concat(spec.ToArguments()))
        {
            info.ArgumentList.Add(argument);
        }
        ChildEnvironment.Apply(info);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        Live[process.Id] = process;
        var server = new ServerProcess(process, spec);
        try
        {
            server.Start = await server.ReadStartAsync(timeout ?? TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until the server has accepted a connection and returns the client's endpoint as the server saw it.</summary>
    public async Task<string> WaitForAcceptAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var message = await NextAsync("accepted", timeout, cancellationToken).ConfigureAwait(false);
        return message["remote"]?.GetValue<string>() ?? "";
    }

    /// <summary>Waits until the server has read bytes from a client, so that nothing unread is left to turn its close into a reset.</summary>
    public async Task<int> WaitForReceivedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var message = await NextAsync("received", timeout, cancellationToken).ConfigureAwait(false);
        return message["bytes"]?.GetValue<int>() ?? 0;
    }

    /// <summary>Kills the child at once (SIGKILL on Unix, TerminateProcess on Windows) and waits until it is gone.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        if (!_process.HasExited)
        {
            KillProcess(_process);
        }
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        Live.TryRemove(_process.Id, out _);
    }

    /// <summary>Kills the child if it still runs and releases its pipes.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        await Task.WhenAll(_readOut, _readErr).ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Kills the child if it still runs (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<ServerStart> ReadStartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var message = await NextAsync(null, timeout, cancellationToken).ConfigureAwait(false);
        var readback = new SortedDictionary<string, int>(StringComparer.Ordinal);
        if (message["readback"] is JsonObject values)
        {
            foreach (var (name, value) in values)
            {
                readback[name] = value!.GetValue<int>();
            }
        }
        return message["event"]?.GetValue<string>() switch
        {
            "listening" => new ServerStart(StepResult.Success("listen"), message["port"]!.GetValue<int>(), readback),
            "failed" => new ServerStart(
                new StepResult(message["step"]!.GetValue<string>(), Errno.FromCurrentOs(message["errno"]!.GetValue<int>())),
                Spec.Port,
                readback),
            var other => throw new InvalidOperationException($"The child server reported '{other}' before listening; stderr: {_stderr}"),
        };
    }

    private async Task<JsonObject> NextAsync(string? kind, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
                if (kind is null || message["event"]?.GetValue<string>() == kind)
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The child server (pid {_process.Id}) did not report '{kind ?? "its start"}' within {timeout.TotalSeconds:0.#} s. stderr: {_stderr}");
        }
        catch (ChannelClosedException)
        {
            await _readErr.ConfigureAwait(false);
            throw new InvalidOperationException(
                $"The child server (pid {_process.Id}) exited before reporting '{kind ?? "its start"}'. stderr: {_stderr.ToString().Trim()}");
        }
    }

    private async Task ReadStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject message)
                {
                    _messages.Writer.TryWrite(message);
                }
            }
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    private static string LibraryAssemblyPath()
    {
        var location = typeof(ServerProcess).Assembly.Location;
        if (string.IsNullOrEmpty(location) || !File.Exists(location))
        {
            throw new InvalidOperationException(
                "The course library was loaded without a file path, so it cannot start itself as the child server. " +
                "Load it with #r \"<path>/AddressInUse.dll\" from the lib/bin folder (build it with: dotnet build lib/AddressInUse).");
        }
        return location;
    }

    /// <summary>
    /// Kills the child server alone: it starts no processes of its own, and on Windows the process-tree walk of
    /// Kill(entireProcessTree: true) was seen to hang under Wine (the console host it attaches is in the tree).
    /// </summary>
    internal static void KillProcess(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill();
        }
        else
        {
            ProcessTree.Kill(process);
        }
    }

    private static bool HasExitedSafe(Process p)
    {
        try
        {
            return p.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    KillProcess(process);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}

/// <summary>How the child server is started: through the dotnet host, or through the library's own app host in a self-contained publish.</summary>
public static class ChildCommand
{
    /// <summary>The program and the arguments before "serve …" that run the library at the given path as the child server.</summary>
    public static (string Program, IReadOnlyList<string> Prefix) For(string libraryPath) =>
        For(libraryPath, System.IO.Path.GetDirectoryName(typeof(object).Assembly.Location), DotnetHost.Path, OperatingSystem.IsWindows());

    /// <summary>
    /// The same for a given runtime folder and host: a self-contained publish (the runtime lies beside the library) has no
    /// dotnet host to run "exec", so its own app host (AddressInUse.exe on Windows) starts the child.
    /// </summary>
    public static (string Program, IReadOnlyList<string> Prefix) For(string libraryPath, string? runtimeDirectory, string dotnetHost, bool windows)
    {
        var libraryDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(libraryPath))!;
        var selfContained = runtimeDirectory is not null
            && string.Equals(System.IO.Path.GetFullPath(runtimeDirectory).TrimEnd('/', '\\'), libraryDirectory.TrimEnd('/', '\\'),
                windows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        if (selfContained)
        {
            var appHost = System.IO.Path.Combine(libraryDirectory, System.IO.Path.GetFileNameWithoutExtension(libraryPath) + (windows ? ".exe" : ""));
            if (!File.Exists(appHost))
            {
                throw new InvalidOperationException(
                    $"The course library runs self-contained from {libraryDirectory}, which has no app host {System.IO.Path.GetFileName(appHost)} to start the child server. " +
                    "Publish it with the app host: dotnet publish lib/AddressInUse -r <rid> --self-contained -p:UseAppHost=true.");
            }
            return (appHost, Array.Empty<string>());
        }
        return (dotnetHost, new[] { "exec", libraryPath });
    }
}

/// <summary>Finds the dotnet host executable that can run the library as a child process.</summary>
public static class DotnetHost
{
    /// <summary>The full path of the dotnet host, or "dotnet" to let PATH decide.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }
        if (Environment.ProcessPath is { } processPath && System.IO.Path.GetFileName(processPath).Equals(exe, StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }
        // The shared framework lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var frameworkDir = System.IO.Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (frameworkDir is not null)
        {
            var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(frameworkDir, "..", "..", "..", exe));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return exe;
    }
}
