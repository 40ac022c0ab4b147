namespace AddressInUse.Child;

/// <summary>Ends a child process of the course when its parent goes away: the parent holds the child's stdin open, so end of input (or a broken pipe) means the parent is gone.</summary>
public static class ParentStdinWatch
{
    /// <summary>Starts a background thread that reads stdin to its end, then exits the process with <paramref name="exitCode"/>.</summary>
    public static void Start(int exitCode, string threadName)
    {
        var watcher = new Thread(() =>
        {
            try
            {
                while (Console.In.ReadLine() is not null)
                {
                }
            }
            catch (IOException)
            {
                // A broken pipe means the same as end of input: the parent is gone.
            }
            Environment.Exit(exitCode);
        }) { IsBackground = true, Name = threadName };
        watcher.Start();
    }
}
