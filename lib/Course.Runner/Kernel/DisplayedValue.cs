using Course.Runner.Execution;
using Course.Runner.Formatting;
using Course.Runner.Notebooks;

namespace Course.Runner.Kernel;

/// <summary>The handle display(...) returns; Update replaces that output in place, like .NET Interactive's DisplayedValue.</summary>
public sealed class DisplayedValue
{
    private readonly CellOutputCollector _collector;
    private readonly IReadOnlyList<string>? _mimeTypes;
    private readonly object _gate = new();
    private CellOutput _output;

    internal DisplayedValue(CellOutputCollector collector, CellOutput output, IReadOnlyList<string>? mimeTypes)
    {
        _collector = collector;
        _output = output;
        _mimeTypes = mimeTypes;
        DisplayId = Guid.NewGuid().ToString("N");
    }

    /// <summary>An identifier of this display (unique per call to display).</summary>
    public string DisplayId { get; }

    /// <summary>Formats the new value with the same MIME types and replaces the displayed output with it.</summary>
    public void Update(object? value)
    {
        var replacement = new DisplayDataOutput(ValueFormatter.Format(value, _mimeTypes));
        lock (_gate)
        {
            if (_collector.Replace(_output, replacement))
            {
                _output = replacement;
            }
        }
    }
}
