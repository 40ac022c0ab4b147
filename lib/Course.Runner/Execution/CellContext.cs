namespace Course.Runner.Execution;

/// <summary>What a running cell needs from the runner: where its outputs go and the token that cancels it.</summary>
internal sealed class CellContext(CellOutputCollector collector, CancellationToken cancellationToken, string label)
{
    private static readonly AsyncLocal<CellContext?> CurrentContext = new();

    /// <summary>The cell whose code (or a task it started) is running on this async flow.</summary>
    public static CellContext? Current
    {
        get => CurrentContext.Value;
        set => CurrentContext.Value = value;
    }

    /// <summary>The collector of the cell's outputs.</summary>
    public CellOutputCollector Collector { get; } = collector;

    /// <summary>Cancelled when the cell exceeds its time limit or the run is cancelled.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>A label such as "cell 3 (id abc)" for messages.</summary>
    public string Label { get; } = label;
}
