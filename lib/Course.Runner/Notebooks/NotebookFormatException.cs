namespace Course.Runner.Notebooks;

/// <summary>A notebook file that is not valid JSON or not an nbformat 4 notebook; the message names the file, the problem and the fix.</summary>
public sealed class NotebookFormatException : CourseException
{
    /// <summary>Creates the error for a file.</summary>
    public NotebookFormatException(string file, string message, Exception? inner = null)
        : base(message, inner ?? new InvalidDataException(message))
    {
        File = file;
    }

    /// <summary>The notebook file (or source name) that could not be read.</summary>
    public string File { get; }
}
