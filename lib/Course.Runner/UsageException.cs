namespace Course.Runner;

/// <summary>A command line the runner cannot accept; the CLI prints the message and the usage and exits with code 2.</summary>
public sealed class UsageException(string message) : CourseException(message);
