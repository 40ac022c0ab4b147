using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Child;

namespace AddressInUse.Lab;

/// <summary>Whether the private network lab can run here, and if not, why.</summary>
/// <param name="Available">True when a private user + network namespace can be made.</param>
/// <param name="Reason">Why not (or how it runs), in one sentence for the chapter.</param>
public sealed record LabAvailability(bool Available, string Reason);

/// <summary>
/// A private network lab: a child process of the library in its own user + network namespace (started through
/// util-linux's `unshare --user --map-root-user --net`), where `lo` is brought up and the TCP settings may be
/// written, because they belong to that namespace alone. The machine's own settings are never written.
/// </summary>
/// <remarks>The .NET runtime is multi-threaded, and unshare(2) of a user namespace needs a single-threaded caller, so the namespace cannot be made in-process.</remarks>
public static class NetworkLab
{
    /// <summary>The settings the lab may write inside its namespace, and nothing else.</summary>
    public static readonly IReadOnlySet<string> Writable = new HashSet<string>(StringComparer.Ordinal)
    {
        "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_timestamps",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_max_tw_buckets",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_migrate_req",
        "net.ipv4.tcp_rfc1337",
    };

    private static readonly Lazy<LabAvailability> Probe = new(ProbeAvailability);

    /// <summary>Whether the lab can run on this machine (checked once, by making a namespace and running `true` in it).</summary>
    public static LabAvailability Availability => Probe.Value;

    /// <summary>The network namespace this process is in ("net:[4026531840]"), which the child checks it has left before writing anything.</summary>
    public static string CurrentNamespace() => OperatingSystem.IsLinux() ? new FileInfo("/proc/self/ns/net").LinkTarget ?? "" : "";

    /// <summary>Runs one of the lab's experiments in a fresh private namespace with the given settings, and returns what it measured.</summary>
    /// <param name="experiment">The experiment's name in the table the library's entry point composes (Program.LabExperiments, the methods marked InsideLabAttribute); an unknown name is an <see cref="ArgumentException"/> listing the known ones.</param>
    /// <param name="settings">Settings to write inside the namespace, by sysctl name (only <see cref="Writable"/> names).</param>
    /// <param name="arguments">The experiment's own arguments.</param>
    /// <param name="timeout">How long the child may take before it is killed.</param>
    /// <param name="cancellationToken">Kills the child when cancelled.</param>
    /// <param name="secondUser">Maps a second user id (1) into the namespace beside root (see <see cref="SecondUser"/>); only where it is available.</param>
    public static async Task<JsonObject> RunAsync(string experiment, IReadOnlyDictionary<string, string> settings, JsonObject? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default, bool secondUser = false)
    {
        foreach (var name in settings.Keys.Where(n => !Writable.Contains(n)))
        {
            throw new ArgumentException($"The lab does not write {name}; it writes only {string.Join(", ", Writable)}.", nameof(settings));
        }
        var availability = Availability;
        if (!availability.Available)
        {
            throw new LabUnavailableException(availability.Reason);
        }
        var request = new JsonObject
        {
            ["host_namespace"] = CurrentNamespace(),
            ["settings"] = new JsonObject(settings.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            ["arguments"] = arguments?.DeepClone() ?? new JsonObject(),
        };
        if (secondUser && !SecondUser.Available)
        {
            throw new LabUnavailableException(SecondUser.Reason);
        }
        using var process = secondUser ? await StartWithSecondUserAsync(experiment, cancellationToken).ConfigureAwait(false) : Start(experiment);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(stop.Token);
            var stderr = process.StandardError.ReadToEndAsync(stop.Token);
            try
            {
                await process.StandardInput.WriteLineAsync(request.ToJsonString()).ConfigureAwait(false);
                await process.StandardInput.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The child ended before reading its request; its exit code and stderr below say why.
            }
            await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode == LabChild.UnknownExperimentExitCode)
            {
                throw new ArgumentException(errors.Trim(), nameof(experiment));
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"The lab's '{experiment}' child exited with {process.ExitCode}: {errors.Trim()}");
            }
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
                ?? throw new InvalidOperationException($"The lab's '{experiment}' child printed nothing. {errors.Trim()}");
            return JsonNode.Parse(last)?.AsObject() ?? throw new InvalidOperationException("The lab's child printed no JSON object.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The lab's '{experiment}' child took longer than {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds:0} s and was killed.");
        }
        finally
        {
            if (!process.HasExited)
            {
                Child.ProcessTree.Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static readonly Lazy<LabAvailability> SecondUserProbe = new(() => ProbeSecondUser().GetAwaiter().GetResult());

    /// <summary>
    /// Whether the lab can map a second user id into its namespace (ns uid 1 → host uid 65534, beside root), which needs
    /// CAP_SETUID on the host: root can write such a uid_map; an ordinary user needs newuidmap and /etc/subuid ranges, which the course never sets up.
    /// </summary>
    public static LabAvailability SecondUser => SecondUserProbe.Value;

    /// <summary>The uid_map (and gid_map) the second-user lab writes: its root is the caller's own id, its uid 1 the host's 65534 (nobody).</summary>
    private static string IdMap(uint own) => $"0 {own} 1\n1 65534 1\n";

    // unshare makes the namespaces and starts a shell that waits for one line before it execs the child, so the maps are
    // written while nothing in the namespace runs yet; a child exec'd as a mapped root keeps its capabilities there.
    private static async Task<Process> StartWithSecondUserAsync(string experiment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("unshare") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--user", "--net", "sh", "-c", "read -r go && exec \"$0\" \"$@\"", DotnetHost.Path, "exec", LibraryPath(), "lab", experiment })
        {
            info.ArgumentList.Add(argument);
        }
        Child.ChildEnvironment.Apply(info);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start unshare.");
        try
        {
            await MapSecondUserAsync(process, cancellationToken).ConfigureAwait(false);
            await process.StandardInput.WriteLineAsync("go").ConfigureAwait(false);
            return process;
        }
        catch
        {
            Child.ProcessTree.Kill(process);
            process.Dispose();
            throw;
        }
    }

    private static async Task MapSecondUserAsync(Process process, CancellationToken cancellationToken)
    {
        var ours = new FileInfo("/proc/self/ns/user").LinkTarget;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        // unshare(2) happens in the child after it starts: wait until its user namespace is no longer ours.
        while (new FileInfo($"/proc/{process.Id}/ns/user").LinkTarget == ours)
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"unshare did not make a user namespace (exit {(process.HasExited ? process.ExitCode : -1)}).");
            }
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
        var own = getuid();
        await File.WriteAllTextAsync($"/proc/{process.Id}/uid_map", IdMap(own), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync($"/proc/{process.Id}/gid_map", IdMap(getgid()), cancellationToken).ConfigureAwait(false);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint getuid();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint getgid();

    private static async Task<LabAvailability> ProbeSecondUser()
    {
        if (!Availability.Available)
        {
            return Availability;
        }
        try
        {
            var info = new ProcessStartInfo("unshare") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "--user", "--net", "sh", "-c", "read -r go && cat /proc/self/uid_map" })
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info)!;
            try
            {
                await MapSecondUserAsync(process, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                return new LabAvailability(false, $"a second user id could not be mapped into the lab's namespace ({e.Message.Trim()}): that needs root on this machine, or newuidmap (Debian: uidmap) with a range for you in /etc/subuid, which the course does not set up");
            }
            finally
            {
                if (!process.HasExited)
                {
                    await process.StandardInput.WriteLineAsync("go").ConfigureAwait(false);
                    process.StandardInput.Close();
                    if (!process.WaitForExit(10_000))
                    {
                        process.Kill();
                    }
                }
            }
            var map = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            return map.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2
                ? new LabAvailability(true, "a private user + network namespace with two user ids: root and uid 1 (host uid 65534)")
                : new LabAvailability(false, $"the second user id did not appear in the namespace's uid_map ({map.Trim()})");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new LabAvailability(false, "util-linux's unshare is not installed (Debian: apt-get install util-linux)");
        }
    }

    private static Process Start(string experiment)
    {
        var info = new ProcessStartInfo("unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--user", "--map-root-user", "--net", DotnetHost.Path, "exec", LibraryPath(), "lab", experiment })
        {
            info.ArgumentList.Add(argument);
        }
        Child.ChildEnvironment.Apply(info);
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start unshare.");
    }

    private static string LibraryPath()
    {
        var location = typeof(NetworkLab).Assembly.Location;
        if (string.IsNullOrEmpty(location) || !File.Exists(location))
        {
            throw new InvalidOperationException("The course library was loaded without a file path, so it cannot start the lab's child. Load it with #r \"../lib/bin/AddressInUse.dll\".");
        }
        return location;
    }

    private static LabAvailability ProbeAvailability()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new LabAvailability(false, $"private network namespaces are a Linux feature; on {(OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsWindows() ? "Windows" : "this OS")} the settings can only be read");
        }
        try
        {
            var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "--user", "--map-root-user", "--net", "true" })
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info)!;
            var errors = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return new LabAvailability(false, "`unshare --user --map-root-user --net` did not finish within 10 s");
            }
            return process.ExitCode == 0
                ? new LabAvailability(true, "runs in a private user + network namespace (unshare --user --map-root-user --net): only its own lo, its own settings")
                : new LabAvailability(false, $"this machine refuses unprivileged user namespaces (unshare said: {errors.Trim()}); Ubuntu's AppArmor restriction (kernel.apparmor_restrict_unprivileged_userns) and many containers do this");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new LabAvailability(false, "util-linux's unshare is not installed (Debian: apt-get install util-linux)");
        }
    }
}

/// <summary>The private network lab cannot run on this machine; the message says why.</summary>
public sealed class LabUnavailableException(string reason) : InvalidOperationException($"The private network lab is not available here: {reason}.");
