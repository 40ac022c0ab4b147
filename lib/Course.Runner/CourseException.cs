namespace Course.Runner;

/// <summary>An error caused by input the user can fix (a file, an option, a notebook); its message names the problem and the fix.</summary>
public class CourseException : Exception
{
    /// <summary>Creates the error with a message that already says what is wrong and how to fix it.</summary>
    public CourseException(string message) : base(message)
    {
    }

    /// <summary>Creates the error with a message and the lower-level exception that revealed the problem.</summary>
    public CourseException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
