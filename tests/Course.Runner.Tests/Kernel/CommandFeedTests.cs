using Course.Runner.Kernel;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;

namespace Course.Runner.Tests.Kernel;

/// <summary>The receiver each kernel's host reads from: fed by the worker's one input loop, silent once its kernel is gone.</summary>
public sealed class CommandFeedTests
{
    [Fact]
    public void Publish_ToASubscriber_DeliversEachCommandInOrder()
    {
        using var feed = new CommandFeed();
        var seen = new List<string>();
        using var subscription = feed.Subscribe(new Observer(c => seen.Add(((SubmitCode)c.Command).Code)));

        feed.Publish(new CommandOrEvent(new SubmitCode("first")));
        feed.Publish(new CommandOrEvent(new SubmitCode("second")));

        Assert.Equal(["first", "second"], seen);
    }

    [Fact]
    public void Publish_AfterTheFeedWasDisposed_ReachesNoEarlierSubscriber()
    {
        var feed = new CommandFeed();
        var seen = 0;
        feed.Subscribe(new Observer(_ => seen++));

        feed.Dispose();
        feed.Publish(new CommandOrEvent(new SubmitCode("late")));

        Assert.Equal(0, seen);
        Assert.Throws<ObjectDisposedException>(() => feed.Subscribe(new Observer(_ => seen++)));
    }

    [Fact]
    public void Publish_AfterASubscriptionWasDisposed_ReachesOnlyTheOthers()
    {
        using var feed = new CommandFeed();
        var (left, stayed) = (0, 0);
        var leaving = feed.Subscribe(new Observer(_ => left++));
        using var staying = feed.Subscribe(new Observer(_ => stayed++));

        leaving.Dispose();
        feed.Publish(new CommandOrEvent(new SubmitCode("x")));

        Assert.Equal((0, 1), (left, stayed));
    }

    private sealed class Observer(Action<CommandOrEvent> onNext) : IObserver<CommandOrEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(CommandOrEvent value) => onNext(value);
    }
}
