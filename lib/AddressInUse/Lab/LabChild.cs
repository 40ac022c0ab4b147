using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace AddressInUse.Lab;

/// <summary>One experiment the lab's child runs inside its namespace: takes the caller's arguments, returns what it measured.</summary>
public delegate Task<JsonObject> LabExperiment(JsonObject arguments);

/// <summary>The lab's child process: checks it is in a namespace of its own, brings lo up, writes the settings there, runs one experiment and prints its result as one JSON line.</summary>
internal static unsafe class LabChild
{
    /// <summary>Set once this process has checked that its network namespace is not the host's.</summary>
    public static bool InPrivateNamespace { get; private set; }

    /// <summary>The exit code of a child asked for an experiment its table does not have (the parent turns it into an ArgumentException).</summary>
    public const int UnknownExperimentExitCode = 5;

    /// <summary>Runs the experiment <paramref name="args"/>[0] from <paramref name="experiments"/>, the table the entry point composed.</summary>
    public static int Run(string[] args, IReadOnlyDictionary<string, LabExperiment> experiments)
    {
        try
        {
            if (args.Length != 1)
            {
                Console.Error.WriteLine("usage: AddressInUse.dll lab <experiment> (request JSON on stdin)");
                return 2;
            }
            if (!experiments.TryGetValue(args[0], out var experiment))
            {
                Console.Error.WriteLine($"No lab experiment is called '{args[0]}'; there are: {string.Join(", ", experiments.Keys.Order(StringComparer.Ordinal))}.");
                return UnknownExperimentExitCode;
            }
            var request = JsonNode.Parse(Console.In.ReadLine() ?? "")!.AsObject();
            var host = request["host_namespace"]?.GetValue<string>() ?? "";
            var mine = NetworkLab.CurrentNamespace();
            // The one rule that keeps the machine safe: never write a setting from the host's own network namespace.
            if (string.IsNullOrEmpty(mine) || mine == host)
            {
                Console.Error.WriteLine($"refusing to run: this process is in the host's network namespace ({mine}), not a private one");
                return 3;
            }
            InPrivateNamespace = true;
            // The parent holds our stdin open until it has read our result; when it goes away (killed, crashed), stdin ends
            // and so do we, with the namespace, which lives only as long as its last process.
            Child.ParentStdinWatch.Start(exitCode: 4, "lab stdin watcher");
            BringLoopbackUp();
            var written = new JsonObject();
            foreach (var (name, value) in request["settings"]!.AsObject())
            {
                LabSettings.Write(name, value!.GetValue<string>());
                written[name] = LabSettings.Read(name);
            }
            var result = experiment(request["arguments"]?.AsObject() ?? new JsonObject()).GetAwaiter().GetResult();
            result["namespace"] = mine;
            result["settings"] = written;
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e.ToString());
            return 1;
        }
    }

    private static void BringLoopbackUp()
    {
        const int afInet = 2, sockDgram = 2, siocgifflags = 0x8913, siocsifflags = 0x8914;
        const short iffUp = 0x1;
        Native.LibC.EnsureResolver();
        var fd = socket(afInet, sockDgram, 0);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket() for the lo ioctl failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            // struct ifreq: 16 bytes of name, then a union whose first member here is short ifr_flags.
            var request = stackalloc byte[40];
            new Span<byte>(request, 40).Clear();
            "lo"u8.CopyTo(new Span<byte>(request, 16));
            if (ioctl(fd, siocgifflags, request) != 0)
            {
                throw new InvalidOperationException($"SIOCGIFFLAGS on lo failed: errno {Marshal.GetLastPInvokeError()}");
            }
            *(short*)(request + 16) |= iffUp;
            if (ioctl(fd, siocsifflags, request) != 0)
            {
                throw new InvalidOperationException($"SIOCSIFFLAGS on lo failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, void* argument);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}

/// <summary>Reads and (only inside the lab's namespace) writes the TCP settings under /proc/sys.</summary>
public static class LabSettings
{
    /// <summary>The /proc/sys path of a sysctl name ("net.ipv4.tcp_tw_reuse" → /proc/sys/net/ipv4/tcp_tw_reuse).</summary>
    public static string PathOf(string name) => "/proc/sys/" + name.Replace('.', '/');

    /// <summary>The setting's value as the kernel prints it (tabs as spaces), or null when it does not exist here.</summary>
    public static string? Read(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? string.Join(' ', File.ReadAllText(path).Split(new[] { ' ', '\t', '\n' }, StringSplitOptions.RemoveEmptyEntries)) : null;
    }

    /// <summary>Writes a setting; only the lab's child calls this, after checking it is in a private namespace.</summary>
    internal static void Write(string name, string value)
    {
        if (!LabChild.InPrivateNamespace)
        {
            throw new InvalidOperationException($"Refusing to write {name}: only the lab's child, inside its own network namespace, writes settings.");
        }
        if (!NetworkLab.Writable.Contains(name))
        {
            throw new ArgumentException($"The lab does not write {name}.", nameof(name));
        }
        File.WriteAllText(PathOf(name), value);
    }
}
