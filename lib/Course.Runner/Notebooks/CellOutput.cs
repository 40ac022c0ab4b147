using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>One output of an executed code cell, as nbformat 4 stores it.</summary>
public abstract class CellOutput
{
    /// <summary>The nbformat output_type: stream, display_data, execute_result or error.</summary>
    public abstract string OutputType { get; }

    /// <summary>Copies the output so that the copy can be changed independently.</summary>
    public abstract CellOutput Clone();
}

/// <summary>Text the cell wrote to standard output or standard error.</summary>
public sealed class StreamOutput : CellOutput
{
    /// <summary>The stream name used by nbformat for standard output.</summary>
    public const string Stdout = "stdout";

    /// <summary>The stream name used by nbformat for standard error.</summary>
    public const string Stderr = "stderr";

    /// <summary>Creates a stream output for the named stream (stdout or stderr).</summary>
    public StreamOutput(string name, string text)
    {
        Name = name;
        Text = text;
    }

    /// <inheritdoc />
    public override string OutputType => "stream";

    /// <summary>The stream name: stdout or stderr.</summary>
    public string Name { get; }

    /// <summary>The text written, newlines included.</summary>
    public string Text { get; set; }

    /// <inheritdoc />
    public override CellOutput Clone() => new StreamOutput(Name, Text);
}

/// <summary>An output that carries a MIME bundle (display_data or execute_result).</summary>
public abstract class MimeOutput : CellOutput
{
    /// <summary>Creates the output around a bundle and optional output metadata.</summary>
    protected MimeOutput(MimeBundle data, JsonObject? metadata)
    {
        Data = data;
        Metadata = metadata ?? [];
    }

    /// <summary>The representations of the value, keyed by MIME type.</summary>
    public MimeBundle Data { get; }

    /// <summary>The output metadata (usually empty).</summary>
    public JsonObject Metadata { get; }
}

/// <summary>A value shown with display(...).</summary>
public sealed class DisplayDataOutput : MimeOutput
{
    /// <summary>Creates a display_data output.</summary>
    public DisplayDataOutput(MimeBundle data, JsonObject? metadata = null) : base(data, metadata)
    {
    }

    /// <inheritdoc />
    public override string OutputType => "display_data";

    /// <inheritdoc />
    public override CellOutput Clone() => new DisplayDataOutput(Data.Clone(), (JsonObject)Metadata.DeepClone());
}

/// <summary>The value of the cell's trailing expression.</summary>
public sealed class ExecuteResultOutput : MimeOutput
{
    /// <summary>Creates an execute_result output for the given execution count.</summary>
    public ExecuteResultOutput(int? executionCount, MimeBundle data, JsonObject? metadata = null) : base(data, metadata)
    {
        ExecutionCount = executionCount;
    }

    /// <inheritdoc />
    public override string OutputType => "execute_result";

    /// <summary>The execution count of the cell that produced the value.</summary>
    public int? ExecutionCount { get; set; }

    /// <inheritdoc />
    public override CellOutput Clone() => new ExecuteResultOutput(ExecutionCount, Data.Clone(), (JsonObject)Metadata.DeepClone());
}

/// <summary>An exception or compile error raised by the cell.</summary>
public sealed class ErrorOutput : CellOutput
{
    /// <summary>Creates an error output from a name, a message and traceback lines.</summary>
    public ErrorOutput(string errorName, string errorValue, IEnumerable<string> traceback)
    {
        ErrorName = errorName;
        ErrorValue = errorValue;
        Traceback = traceback.ToList();
    }

    /// <inheritdoc />
    public override string OutputType => "error";

    /// <summary>The error's name (nbformat ename), e.g. the exception type.</summary>
    public string ErrorName { get; }

    /// <summary>The error's message (nbformat evalue).</summary>
    public string ErrorValue { get; }

    /// <summary>The traceback lines (nbformat traceback).</summary>
    public IReadOnlyList<string> Traceback { get; }

    /// <inheritdoc />
    public override CellOutput Clone() => new ErrorOutput(ErrorName, ErrorValue, Traceback);
}
