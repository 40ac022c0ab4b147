using Microsoft.DotNet.Interactive.Connection;

namespace Course.Runner.Kernel;

/// <summary>The receiver a worker's <see cref="Microsoft.DotNet.Interactive.KernelHost"/> reads commands from, fed by the worker's one input loop.</summary>
/// <remarks>
/// The package's own receivers each read their input on a thread of their own; one kernel replacing another would leave the
/// old reader blocked on the same input, taking the next line. Disposed with its kernel: its observers are dropped, so a
/// disposed kernel's host gets nothing more.
/// </remarks>
internal sealed class CommandFeed : IKernelCommandAndEventReceiver, IDisposable
{
    private readonly object _gate = new();
    private List<IObserver<CommandOrEvent>>? _observers = [];

    /// <summary>Hands a command (or a parse error) to every observer, in order, on the caller's thread.</summary>
    public void Publish(CommandOrEvent commandOrEvent)
    {
        IObserver<CommandOrEvent>[] observers;
        lock (_gate)
        {
            observers = _observers is null ? [] : [.. _observers];
        }

        foreach (var observer in observers)
        {
            observer.OnNext(commandOrEvent);
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(IObserver<CommandOrEvent> observer)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_observers is null, this);
            _observers.Add(observer);
        }

        return new Subscription(this, observer);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _observers = null;
        }
    }

    private sealed class Subscription(CommandFeed feed, IObserver<CommandOrEvent> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (feed._gate)
            {
                feed._observers?.Remove(observer);
            }
        }
    }
}
