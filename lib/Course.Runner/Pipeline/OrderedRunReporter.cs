using Course.Runner.Execution;

namespace Course.Runner.Pipeline;

/// <summary>
/// Lets chapters that run at the same time report through one reporter in chapter order: the first unfinished
/// chapter's lines pass through live, a later chapter's are held and replayed the moment every chapter before it
/// has finished, so the output reads exactly as a one-at-a-time run would print it.
/// </summary>
/// <remarks>Calls from different chapters may come from different threads; the inner reporter sees one call at a time.</remarks>
public sealed class OrderedRunReporter
{
    private readonly IRunReporter _inner;
    private readonly object _gate = new();
    private readonly List<Action<IRunReporter>>[] _held;
    private readonly bool[] _finished;
    private int _head;

    /// <summary>Creates the sequencer for <paramref name="chapterCount"/> chapters, numbered 0.. in the order their output is to appear.</summary>
    public OrderedRunReporter(IRunReporter inner, int chapterCount)
    {
        _inner = inner;
        _held = Enumerable.Range(0, chapterCount).Select(_ => new List<Action<IRunReporter>>()).ToArray();
        _finished = new bool[chapterCount];
    }

    /// <summary>The reporter one chapter writes through (chapter-level calls; the run's own lines and summary go to the inner reporter).</summary>
    public IRunReporter For(int chapter) => new ChapterView(this, chapter);

    /// <summary>Marks a chapter as done (finished, failed, cancelled or never started): output of the chapters after it may now appear.</summary>
    public void Complete(int chapter)
    {
        lock (_gate)
        {
            _finished[chapter] = true;
            Advance();
        }
    }

    /// <summary>Replays everything still held, in chapter order (after a cancel, when some chapters never finish).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            for (; _head < _held.Length; _head++)
            {
                Replay(_head);
            }
        }
    }

    private void Post(int chapter, Action<IRunReporter> call)
    {
        lock (_gate)
        {
            if (chapter == _head)
            {
                call(_inner);
            }
            else
            {
                _held[chapter].Add(call);
            }
        }
    }

    private void Advance()
    {
        while (_head < _held.Length && _finished[_head])
        {
            _head++;
            if (_head < _held.Length)
            {
                Replay(_head);
            }
        }
    }

    private void Replay(int chapter)
    {
        foreach (var call in _held[chapter])
        {
            call(_inner);
        }

        _held[chapter].Clear();
    }

    private sealed class ChapterView(OrderedRunReporter owner, int chapter) : IRunReporter
    {
        public Task<T> ShowAsync<T>(int chapterCount, Func<Task<T>> body) => body();

        public void Line(string text = "") => owner.Post(chapter, r => r.Line(text));

        public void Problem(string text) => owner.Post(chapter, r => r.Problem(text));

        public void ChapterStarting(string name) => owner.Post(chapter, r => r.ChapterStarting(name));

        public void Cell(CellProgress progress, bool cancelled = false) => owner.Post(chapter, r => r.Cell(progress, cancelled));

        public void Live(string text) => owner.Post(chapter, r => r.Live(text));

        public void ChapterFinished(ChapterOutcome outcome) => owner.Post(chapter, r => r.ChapterFinished(outcome));

        public void Summary(IReadOnlyList<ChapterOutcome> outcomes) => owner.Post(chapter, r => r.Summary(outcomes));
    }
}
