using System.Text;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Kernel;

/// <summary>The sender a worker's <see cref="Microsoft.DotNet.Interactive.KernelHost"/> writes through: one prefixed envelope line per event, whole and in order.</summary>
/// <remarks>
/// The package's KernelCommandAndEventSender.FromTextWriter starts each write without awaiting the one before, which can
/// collide on one StreamWriter; this one writes each line synchronously under a lock on the raw standard output (the kernel
/// swaps Console's writers while a cell runs). It also knows which commands have not completed, so that the worker can let
/// them finish when its input ends.
/// </remarks>
internal sealed class EventLineWriter(Stream output) : IKernelCommandAndEventSender
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TaskCompletionSource> _running = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Uri RemoteHostUri => WorkerProtocol.RunnerUri;

    /// <summary>Notes a command handed to the kernel, so that <see cref="RunningCommandsEndedAsync"/> waits for its completion.</summary>
    public void Started(KernelCommand command)
    {
        lock (_gate)
        {
            _running.TryAdd(command.GetOrCreateToken(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>Completes when every command noted by <see cref="Started"/> has sent its CommandSucceeded or CommandFailed.</summary>
    public Task RunningCommandsEndedAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_running.Values.Select(t => t.Task));
        }
    }

    /// <inheritdoc />
    public Task SendAsync(KernelEvent kernelEvent, CancellationToken cancellationToken)
    {
        Write(KernelEventEnvelope.Serialize(kernelEvent));
        if (kernelEvent is KernelCommandCompletionEvent && kernelEvent.Command is { } command)
        {
            lock (_gate)
            {
                if (_running.Remove(command.GetOrCreateToken(), out var running))
                {
                    running.TrySetResult();
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SendAsync(KernelCommand kernelCommand, CancellationToken cancellationToken)
    {
        Write(KernelCommandEnvelope.Serialize(kernelCommand));
        return Task.CompletedTask;
    }

    private void Write(string envelope)
    {
        var line = Encoding.UTF8.GetBytes(WorkerProtocol.EventLine(envelope) + "\n");
        lock (_gate)
        {
            output.Write(line);
            output.Flush();
        }
    }
}
