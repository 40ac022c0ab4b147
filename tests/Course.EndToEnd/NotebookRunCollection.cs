namespace Course.EndToEnd;

/// <summary>Tests that execute notebooks change the process's working directory and Console, so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookRunCollection
{
    /// <summary>The collection name to put on test classes that run notebooks.</summary>
    public const string Name = "notebook runs";
}
