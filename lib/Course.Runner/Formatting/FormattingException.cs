namespace Course.Runner.Formatting;

/// <summary>A value could not be formatted (a formatter threw, returned bad JSON, or a requested MIME type has no formatter).</summary>
public sealed class FormattingException : CourseException
{
    /// <summary>Creates the error with a message naming the value type, the formatter and the fix.</summary>
    public FormattingException(string message, Exception? inner = null) : base(message, inner ?? new InvalidOperationException(message))
    {
    }
}
