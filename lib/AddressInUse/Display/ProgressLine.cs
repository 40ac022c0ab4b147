namespace AddressInUse.Display;

/// <summary>
/// Progress that shows each line at once, in order, and remembers the latest one, so a cell can display the final state as an
/// output of its own: Jupyter with the kernel tool (1.0.712001) drops display updates, which leaves an updated line at its first text.
/// </summary>
/// <remarks>Not <see cref="Progress{T}"/>: that posts each report to the thread pool, so its last line can arrive after the experiment has returned.</remarks>
public sealed class ProgressLine(Action<string> show) : IProgress<string>
{
    private readonly object _gate = new();

    /// <summary>The latest line reported (empty before the first).</summary>
    public string Latest { get; private set; } = "";

    /// <summary>Shows the line and remembers it.</summary>
    public void Report(string value)
    {
        lock (_gate)
        {
            Latest = value;
            show(value);
        }
    }
}
