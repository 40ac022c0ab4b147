namespace Course.Runner.Pipeline;

/// <summary>Lets the exporter's log lines go through the reporter (so they land above a live progress bar).</summary>
internal sealed class ReporterWriter(IRunReporter reporter) : TextWriter
{
    private readonly System.Text.StringBuilder _line = new();

    /// <summary>Where lines go: the chapter whose charts are being exported, so its lines appear in its place; the run's reporter otherwise.</summary>
    public IRunReporter Target { get; set; } = reporter;

    /// <summary>The run's own reporter, which <see cref="Target"/> returns to between chapters.</summary>
    public IRunReporter Run { get; } = reporter;

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            Target.Line(_line.ToString().TrimEnd('\r'));
            _line.Clear();
        }
        else
        {
            _line.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        Target.Line(_line.Append(value).ToString());
        _line.Clear();
    }

    public override void Flush()
    {
    }
}
