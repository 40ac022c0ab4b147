using System.Text;

namespace Course.Runner.Execution;

/// <summary>A TextWriter that turns Console writes of a cell into stream outputs of that cell.</summary>
internal sealed class CapturingWriter(CellOutputCollector collector, string streamName) : TextWriter
{
    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <inheritdoc />
    public override void Write(char value) => collector.AppendStream(streamName, value.ToString());

    /// <inheritdoc />
    public override void Write(string? value) => collector.AppendStream(streamName, value ?? "");

    /// <inheritdoc />
    public override void Write(char[] buffer, int index, int count) => collector.AppendStream(streamName, new string(buffer, index, count));

    /// <inheritdoc />
    public override void WriteLine(string? value) => collector.AppendStream(streamName, (value ?? "") + "\n");

    /// <inheritdoc />
    public override void WriteLine() => collector.AppendStream(streamName, "\n");
}
