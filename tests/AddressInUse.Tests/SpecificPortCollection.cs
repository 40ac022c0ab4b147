namespace AddressInUse.Tests;

/// <summary>Tests that rebind a specific port (after reading it back from port 0) run one at a time, never beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SpecificPortCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "specific port";
}
