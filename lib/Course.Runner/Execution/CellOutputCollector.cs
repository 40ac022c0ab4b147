using System.Globalization;
using System.Text;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;

namespace Course.Runner.Execution;

/// <summary>Collects one cell's outputs in the order they happen: stream text in linear time, everything capped, until sealed.</summary>
/// <remarks>Like Jupyter front ends, a cell that prints without end keeps the first part and is told how much was dropped.</remarks>
internal sealed class CellOutputCollector(List<InteractiveDocumentOutputElement> outputs, long maxCharacters)
{
    /// <summary>The default cap on one cell's output text (stream text and displayed values together).</summary>
    public const long DefaultMaxCharacters = 8L * 1024 * 1024;

    private readonly object _gate = new();
    private readonly Dictionary<string, InteractiveDocumentOutputElement> _byValueId = new(StringComparer.Ordinal);
    private readonly HashSet<InteractiveDocumentOutputElement> _claimed = new(ReferenceEqualityComparer.Instance);
    private StringBuilder? _openStream;
    private string? _openStreamName;
    private long _kept;
    private long _dropped;
    private bool _sealed;

    /// <summary>Receives the plain text of every in-place update, so a terminal can show progress while the cell runs.</summary>
    public Action<string>? OnReplaced { get; init; }

    /// <summary>How many characters were dropped because the cell went over the cap.</summary>
    public long DroppedCharacters
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Appends stream text, merging with the previous output when it is the same stream (as Jupyter does).</summary>
    public void AppendStream(string name, string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_sealed)
            {
                return;
            }

            var room = Math.Max(0, maxCharacters - _kept);
            if (room < text.Length)
            {
                _dropped += text.Length - room;
                text = text[..(int)room];
                if (text.Length == 0)
                {
                    return;
                }
            }

            _kept += text.Length;
            if (_openStream is null || _openStreamName != name)
            {
                FlushStream();
                _openStream = new StringBuilder(text);
                _openStreamName = name;
            }
            else
            {
                _openStream.Append(text);
            }
        }
    }

    /// <summary>Adds an output (remembering its display id for later updates) unless sealed or over the cap.</summary>
    public void Add(InteractiveDocumentOutputElement output, string? valueId = null)
    {
        lock (_gate)
        {
            if (_sealed)
            {
                return;
            }

            var size = output.Size();
            if (_kept + size > maxCharacters && output is not ErrorElement)
            {
                _dropped += size;
                return;
            }

            _kept += size;
            FlushStream();
            outputs.Add(output);
            if (valueId is not null)
            {
                _byValueId[valueId] = output;
            }
        }
    }

    /// <summary>Replaces the output shown under a display id in place (display handle updates); false when it is unknown or sealed.</summary>
    public bool Replace(string valueId, InteractiveDocumentOutputElement replacement)
    {
        lock (_gate)
        {
            if (_sealed)
            {
                return false;
            }

            if (!_byValueId.TryGetValue(valueId, out var previous))
            {
                // The kernel (1.0.0-beta.26120.1) announces a display under one id and updates it under the handle's DisplayId,
                // so an update with an unknown id belongs to the latest display no update has claimed yet.
                previous = outputs.LastOrDefault(o => o is DisplayElement && !_claimed.Contains(o));
                if (previous is null)
                {
                    return false;
                }
            }

            _claimed.Add(replacement);

            var index = outputs.IndexOf(previous);
            if (index < 0)
            {
                return false;
            }

            outputs[index] = replacement;
            _byValueId[valueId] = replacement;
            if (OnReplaced is { } onReplaced && replacement.TryGetData(out var data) && data.TryGetText(MimeTypes.Text, out var text))
            {
                onReplaced(text);
            }

            return true;
        }
    }

    /// <summary>Stops accepting outputs, writes the open stream text, and adds a note when output was dropped.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            if (_sealed)
            {
                return;
            }

            FlushStream();
            if (_dropped > 0)
            {
                var note = string.Create(CultureInfo.InvariantCulture,
                    $"\n[course runner: this cell's output went over {maxCharacters / (1024 * 1024)} MB; {_dropped:N0} more characters were dropped.]\n");
                outputs.Add(new TextElement(note, NotebookOutputs.Stderr));
            }

            _sealed = true;
        }
    }

    private void FlushStream()
    {
        if (_openStream is null)
        {
            return;
        }

        // Only the finished text becomes an output: appending to a string would copy it again for every write.
        outputs.Add(new TextElement(_openStream.ToString(), _openStreamName!));
        _openStream = null;
        _openStreamName = null;
    }
}
