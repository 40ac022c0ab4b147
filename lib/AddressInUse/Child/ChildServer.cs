using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Native;

namespace AddressInUse.Child;

/// <summary>
/// The server that the experiments start as a real child process and kill: it binds (natively or through .NET),
/// listens, accepts, reads and discards what clients send, and reports each step as one JSON line on stdout.
/// </summary>
/// <remarks>It exits when its stdin closes, so it can never outlive the process that started it.</remarks>
internal static class ChildServer
{
    private static readonly object OutputGate = new();

    public static int Run(string[] args)
    {
        ServerSpec spec;
        try
        {
            spec = ChildServerArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        // The parent holds our stdin open; when it goes away (killed, crashed, finished), so do we.
        ParentStdinWatch.Start(exitCode: 0, "stdin watcher");

        var listener = Bind(spec);
        if (listener is null)
        {
            return 3;
        }
        while (true)
        {
            Socket connection;
            try
            {
                connection = listener.Accept();
            }
            catch (SocketException e)
            {
                Emit(new JsonObject { ["event"] = "accept_failed", ["errno"] = e.NativeErrorCode });
                return 4;
            }
            Emit(new JsonObject { ["event"] = "accepted", ["remote"] = connection.RemoteEndPoint?.ToString(), ["local"] = connection.LocalEndPoint?.ToString() });
            // Read and discard, because closing (or dying) with unread bytes makes the kernel send RST instead of FIN.
            new Thread(() => Drain(connection)) { IsBackground = true }.Start();
        }
    }

    private static Socket? Bind(ServerSpec spec)
    {
        var endPoint = new IPEndPoint(spec.Address, spec.Port);
        if (spec.Api == BindApi.Native)
        {
            var native = NativeSocket.Create(spec.Address.AddressFamily, ProtocolType.Tcp);
            var set = native.SetOptions(spec.Options);
            var readback = native.ReadOptions();
            foreach (var step in new Func<StepResult>[] { () => set, () => native.Bind(endPoint), () => native.Listen(64) })
            {
                var result = step();
                if (!result.Ok)
                {
                    EmitFailure(result, readback);
                    native.Dispose();
                    return null;
                }
            }
            var port = native.LocalEndPoint!.Port;
            var socket = native.ToSocket();
            Emit(new JsonObject { ["event"] = "listening", ["port"] = port, ["readback"] = ToJson(readback) });
            return socket;
        }

        var dotnet = new Socket(spec.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            dotnet.Bind(endPoint);
        }
        catch (SocketException e)
        {
            EmitFailure(new StepResult("bind", Errno.FromCurrentOs(e.NativeErrorCode)), SocketOptionReader.Read(dotnet));
            dotnet.Dispose();
            return null;
        }
        var afterBind = SocketOptionReader.Read(dotnet);
        try
        {
            dotnet.Listen(64);
        }
        catch (SocketException e)
        {
            EmitFailure(new StepResult("listen", Errno.FromCurrentOs(e.NativeErrorCode)), afterBind);
            dotnet.Dispose();
            return null;
        }
        Emit(new JsonObject { ["event"] = "listening", ["port"] = ((IPEndPoint)dotnet.LocalEndPoint!).Port, ["readback"] = ToJson(afterBind) });
        return dotnet;
    }

    private static void Drain(Socket connection)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = connection.Receive(buffer)) > 0)
            {
                Emit(new JsonObject { ["event"] = "received", ["bytes"] = read, ["remote"] = SafeRemote(connection) });
            }
        }
        catch (SocketException)
        {
        }
        // The peer closed its side; this server never closes first on its own (the lesson kills it).
        Emit(new JsonObject { ["event"] = "peer_closed", ["remote"] = SafeRemote(connection) });
    }

    private static string? SafeRemote(Socket s)
    {
        try
        {
            return s.RemoteEndPoint?.ToString();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static void EmitFailure(StepResult result, IReadOnlyDictionary<string, int> readback) =>
        Emit(new JsonObject
        {
            ["event"] = "failed",
            ["step"] = result.Step,
            ["errno"] = result.Error!.Number,
            ["name"] = result.Error.Name,
            ["readback"] = ToJson(readback),
        });

    private static JsonObject ToJson(IReadOnlyDictionary<string, int> readback)
    {
        var json = new JsonObject();
        foreach (var (name, value) in readback)
        {
            json[name] = value;
        }
        return json;
    }

    private static void Emit(JsonObject message)
    {
        lock (OutputGate)
        {
            Console.Out.WriteLine(message.ToJsonString());
            Console.Out.Flush();
        }
    }
}

/// <summary>The child server's command line, shared by the process that starts it and the child that reads it.</summary>
public static class ChildServerArguments
{
    /// <summary>Parses the child's "serve" arguments (everything after the word serve) into a spec.</summary>
    public static ServerSpec Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"serve: expected '--name value' pairs, got '{string.Join(' ', args)}'.");
            }
            values[args[i][2..]] = args[i + 1];
        }
        var address = IPAddress.Parse(values.GetValueOrDefault("address", "127.0.0.1"));
        var port = int.Parse(values.GetValueOrDefault("port", "0"), CultureInfo.InvariantCulture);
        var api = values.GetValueOrDefault("api", "native") switch
        {
            "native" => BindApi.Native,
            "dotnet" => BindApi.Dotnet,
            var other => throw new ArgumentException($"serve: --api must be 'native' or 'dotnet', not '{other}'."),
        };
        return new ServerSpec(address, port, api, SocketOptionNames.Parse(values.GetValueOrDefault("options")));
    }
}
