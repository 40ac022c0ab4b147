using Course.Runner.Notebooks;

namespace Course.Runner.Execution;

/// <summary>Appends a cell's outputs in the order they happen, from any thread, until the run is sealed.</summary>
internal sealed class CellOutputCollector(List<CellOutput> outputs)
{
    private readonly object _gate = new();
    private bool _sealed;

    /// <summary>Receives the plain text of every in-place update, so a terminal can show progress while the cell runs.</summary>
    public Action<string>? OnReplaced { get; init; }

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

            if (outputs.Count > 0 && outputs[^1] is StreamOutput last && last.Name == name)
            {
                last.Text += text;
            }
            else
            {
                outputs.Add(new StreamOutput(name, text));
            }
        }
    }

    /// <summary>Adds an output unless the run is sealed.</summary>
    public void Add(CellOutput output)
    {
        lock (_gate)
        {
            if (!_sealed)
            {
                outputs.Add(output);
            }
        }
    }

    /// <summary>Replaces an earlier output in place (display handle updates); false when it is gone or the run is sealed.</summary>
    public bool Replace(CellOutput previous, CellOutput replacement)
    {
        lock (_gate)
        {
            var index = outputs.IndexOf(previous);
            if (_sealed || index < 0)
            {
                return false;
            }

            outputs[index] = replacement;
            if (OnReplaced is { } onReplaced && replacement is MimeOutput mime && mime.Data.TryGetText(MimeBundle.PlainText, out var text))
            {
                onReplaced(text);
            }
            return true;
        }
    }

    /// <summary>Stops accepting outputs, so background work cannot change a notebook that is being written.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            _sealed = true;
        }
    }
}
