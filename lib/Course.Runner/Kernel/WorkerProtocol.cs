using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;

namespace Course.Runner.Kernel;

/// <summary>How the runner and its kernel worker process talk: .NET Interactive's own command and event envelopes, one per line.</summary>
/// <remarks>
/// Commands (<see cref="KernelCommandEnvelope"/>) go to the worker's standard input; events (<see cref="KernelEventEnvelope"/>)
/// come back on its standard output, each line starting with <see cref="EventPrefix"/>, so that text a cell's child process
/// writes to the inherited standard output (or the console after a cell, when the kernel has given it back) is never taken
/// for an event. The only commands the package does not have are <see cref="OpenNotebook"/> and <see cref="CloseNotebook"/>.
/// </remarks>
internal static class WorkerProtocol
{
    /// <summary>The hidden command-line verb that turns the course executable into a kernel worker.</summary>
    public const string Verb = "__kernel-worker";

    /// <summary>The start of every event line (a record separator character and a tag).</summary>
    public const string EventPrefix = "\u001ecourse-kernel ";

    /// <summary>The URI the worker's kernel host gives the runner, its remote end.</summary>
    public static readonly Uri RunnerUri = Microsoft.DotNet.Interactive.KernelHost.CreateHostUri("course-runner");

    private static int _registered;

    /// <summary>Lets the package's envelopes carry <see cref="OpenNotebook"/>; both ends call it before they read or write one.</summary>
    public static void RegisterCommands()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            KernelCommandEnvelope.RegisterCommand<OpenNotebook>();
            KernelCommandEnvelope.RegisterCommand<CloseNotebook>();
        }
    }

    /// <summary>One command as the line the worker reads.</summary>
    public static string CommandLine(KernelCommand command)
    {
        RegisterCommands();
        return KernelCommandEnvelope.Serialize(command);
    }

    /// <summary>True when an event envelope's JSON is the success of <see cref="CloseNotebook"/> (the worker may then replace its kernel).</summary>
    public static bool IsCloseNotebookSucceeded(string envelopeJson)
    {
        if (!envelopeJson.Contains(nameof(CloseNotebook), StringComparison.Ordinal))
        {
            return false;
        }

        RegisterCommands();
        return KernelEventEnvelope.Deserialize(envelopeJson).Event is Microsoft.DotNet.Interactive.Events.CommandSucceeded { Command: CloseNotebook };
    }

    /// <summary>One envelope's JSON as the line the runner reads.</summary>
    public static string EventLine(string envelopeJson) => EventPrefix + envelopeJson;

    /// <summary>The event on a line of the worker's standard output, or null for a line that is not one (a child's stray output).</summary>
    /// <exception cref="System.Text.Json.JsonException">The line carries the prefix but not an envelope.</exception>
    public static Microsoft.DotNet.Interactive.Events.KernelEvent? ParseEventLine(string line)
    {
        if (!line.StartsWith(EventPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        RegisterCommands();
        return KernelEventEnvelope.Deserialize(line[EventPrefix.Length..]).Event;
    }

    /// <summary>True when <paramref name="e"/> was produced for <paramref name="command"/> or a command it spawned (a magic's part of the cell).</summary>
    public static bool BelongsTo(Microsoft.DotNet.Interactive.Events.KernelEvent e, KernelCommand command)
    {
        var root = command.GetOrCreateToken();
        var token = e.Command?.GetOrCreateToken();
        return token is not null && (token == root || token.StartsWith(root + ".", StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="e"/> ends <paramref name="command"/> itself (succeeded or failed), not only a part of it.</summary>
    public static bool Completes(Microsoft.DotNet.Interactive.Events.KernelEvent e, KernelCommand command) =>
        e is Microsoft.DotNet.Interactive.Events.KernelCommandCompletionEvent && e.Command?.GetOrCreateToken() == command.GetOrCreateToken();
}

/// <summary>Makes the worker's fresh kernel ready for one notebook: relative <c>#r</c> paths resolve against <see cref="Directory"/>.</summary>
/// <remarks>The package has no command for a working directory; this one travels in its envelopes once registered (<see cref="WorkerProtocol.RegisterCommands"/>).</remarks>
internal sealed class OpenNotebook : KernelCommand
{
    /// <summary>Creates the command for the notebook folder <paramref name="directory"/>.</summary>
    [System.Text.Json.Serialization.JsonConstructor]
    public OpenNotebook(string directory) => Directory = directory;

    /// <summary>The notebook's folder, which becomes the worker's current directory.</summary>
    public string Directory { get; }
}

/// <summary>Ends the notebook's kernel: the worker then serves the next notebook with a fresh kernel, or refuses to when something of this one is left in it.</summary>
/// <remarks>After its CommandSucceeded the runner sends <c>RequestKernelInfo</c>: the next kernel answers it, or the worker answers with a
/// CommandFailed naming what the notebook left behind and waits for the runner to end it with everything it started.</remarks>
internal sealed class CloseNotebook : KernelCommand
{
}
