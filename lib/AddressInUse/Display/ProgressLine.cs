using System.Reflection;

namespace AddressInUse.Display;

/// <summary>How a progress line uses the client's display: live, updated as reported, or held back until the end.</summary>
public enum ProgressDisplay
{
    /// <summary>
    /// The client keeps one output per display (the course runner, Polyglot Notebooks, Jupyter): the line is updated as reported, and
    /// <see cref="ProgressLine.Finish"/> shows the final state in an output of its own, because Jupyter with the kernel tool
    /// (1.0.712001) drops display updates and would leave the line at its first text.
    /// </summary>
    Live,

    /// <summary>
    /// The client saves every display update as an output of its own (dotnet-repl 0.3.259 gave chapter 03's line 81 outputs): nothing is
    /// shown while the work runs, and <see cref="ProgressLine.Finish"/> shows the final state once.
    /// </summary>
    FinalOnly,
}

/// <summary>
/// Progress shown in a notebook: each line at once, in order, the latest remembered, and the final state shown when the work ends,
/// in every client (see <see cref="ProgressDisplay"/>).
/// </summary>
/// <remarks>Not <see cref="Progress{T}"/>: that posts each report to the thread pool, so its last line can arrive after the experiment has returned.</remarks>
public sealed class ProgressLine : IProgress<string>
{
    private readonly object _gate = new();
    private readonly Func<string, Action<string>> _display;
    private Action<string>? _update;
    private bool _finished;

    /// <summary>
    /// Starts a progress line with <paramref name="first"/>; <paramref name="display"/> shows a new output and returns what updates it
    /// (in a notebook: <c>line =&gt; display(line).Update</c>). Live or final-only as <see cref="ClientDisplay"/> says for this client.
    /// </summary>
    public ProgressLine(string first, Func<string, Action<string>> display)
        : this(first, display, ClientDisplay)
    {
    }

    /// <summary>Starts a progress line that uses the display as <paramref name="mode"/> says.</summary>
    public ProgressLine(string first, Func<string, Action<string>> display, ProgressDisplay mode)
    {
        ArgumentNullException.ThrowIfNull(display);
        _display = display;
        Mode = mode;
        Latest = first;
        if (mode == ProgressDisplay.Live)
        {
            _update = display(first);
        }
    }

    /// <summary>The way this client's display suits progress: <see cref="ProgressDisplay.FinalOnly"/> under dotnet-repl, otherwise <see cref="ProgressDisplay.Live"/>.</summary>
    // dotnet-repl hosts its kernels in its own process, so its entry assembly names it; the kernel tool and the runner's worker do not.
    public static ProgressDisplay ClientDisplay { get; } =
        Assembly.GetEntryAssembly()?.GetName().Name == "dotnet-repl" ? ProgressDisplay.FinalOnly : ProgressDisplay.Live;

    /// <summary>How this line uses the display.</summary>
    public ProgressDisplay Mode { get; }

    /// <summary>The latest line reported (the first text before any report).</summary>
    public string Latest { get; private set; }

    /// <summary>Shows the line (live mode) and remembers it; ignored once finished.</summary>
    public void Report(string value)
    {
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }
            Latest = value;
            _update?.Invoke(value);
        }
    }

    /// <summary>Ends the line showing its final state: live, the line says it finished and the final state gets an output of its own; final-only, the final state's one output.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }
            _finished = true;
            if (_update is not null)
            {
                _update("finished; the last progress line:");
            }
            _display(Latest);
        }
    }
}
