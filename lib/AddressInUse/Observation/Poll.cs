namespace AddressInUse.Observation;

/// <summary>Waits for a condition by polling it against a deadline, never by sleeping a guessed amount.</summary>
public static class Poll
{
    /// <summary>Polls the condition every millisecond or so until it holds, or throws a TimeoutException naming what was awaited.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        if (!await TryUntilAsync(condition, timeout, time, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException($"Gave up after {timeout.TotalSeconds:0.###} s waiting for {what}.");
        }
    }

    /// <summary>Polls the condition until it holds (true) or the timeout passes (false).</summary>
    public static async Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan timeout, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        var start = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (condition())
            {
                return true;
            }
            if (time.GetElapsedTime(start) >= timeout)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
