using System.Text.Json;
using System.Text.Json.Serialization;

namespace Course.Runner.Kernel;

/// <summary>The messages between the runner and its kernel worker process: one JSON object per line.</summary>
/// <remarks>
/// Requests go to the worker's standard input. Events come back on the worker's standard output,
/// each line starting with <see cref="EventPrefix"/>, so that stray text a child process writes to the
/// inherited standard output can never be taken for an event.
/// </remarks>
internal static class WorkerProtocol
{
    /// <summary>The hidden command-line verb that turns the course executable into a kernel worker.</summary>
    public const string Verb = "__kernel-worker";

    /// <summary>The start of every event line (a record separator character and a tag).</summary>
    public const string EventPrefix = "\u001ecourse-kernel ";

    /// <summary>How messages are written: camelCase names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A request to the worker.</summary>
/// <param name="Op">"open" (set the working directory of the fresh kernel), "run" (submit a cell's code).</param>
/// <param name="Directory">For "open": the folder that relative #r paths resolve against.</param>
/// <param name="Code">For "run": the cell's source.</param>
internal sealed record WorkerRequest(string Op, string? Directory = null, string? Code = null);

/// <summary>An event from the worker.</summary>
/// <param name="Ev">ready, stream, display, result, update, done.</param>
/// <param name="Name">stream: stdout or stderr.</param>
/// <param name="Text">stream: the text written.</param>
/// <param name="ValueId">display/update: the display handle's id (updates replace the output with the same id).</param>
/// <param name="Data">display/result/update: MIME type → formatted text.</param>
/// <param name="Ok">done: whether the cell succeeded.</param>
/// <param name="ErrorName">done, failed: the exception type, or CompilationError.</param>
/// <param name="Message">done, failed: the kernel's message.</param>
/// <param name="Traceback">done, failed: the exception's text, line by line.</param>
internal sealed record WorkerEvent(
    string Ev,
    string? Name = null,
    string? Text = null,
    string? ValueId = null,
    Dictionary<string, string>? Data = null,
    bool? Ok = null,
    string? ErrorName = null,
    string? Message = null,
    List<string>? Traceback = null);
