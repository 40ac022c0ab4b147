using System.Reflection;
using System.Text.Json.Nodes;
using AddressInUse.Lab;

namespace AddressInUse.Tests.Lab;

/// <summary>The lab child's table is found from the marked methods: every experiment a caller names is in it, and each runs as marked.</summary>
public sealed class LabExperimentTableTests
{
    private static readonly Assembly Library = typeof(NetworkLab).Assembly;

    [Fact]
    public void Discover_TheLibrary_HasEveryExperimentNameItsCallersDeclare()
    {
        // Callers name their lab experiment by a constant ending in "Experiment" (NetworkLab.RunAsync(TimeWaitReuse.Experiment, …)).
        var declared = Library.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.EndsWith("Experiment", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        var table = LabExperimentTable.Discover(Library);

        Assert.True(declared.Count >= 10, $"only {declared.Count} experiment names found");
        Assert.All(declared, name => Assert.True(table.ContainsKey(name), $"'{name}' has no [InsideLab] method."));
        Assert.Contains("probe", table.Keys);
        Assert.Contains("loopback-filter", table.Keys);
    }

    [Fact]
    public async Task Discover_MarkedMethodsOfEachShape_RunWithTheCallersArguments()
    {
        var table = LabExperimentTable.Discover(typeof(LabExperimentTableTests).Assembly);
        var arguments = new JsonObject { ["n"] = 7 };

        Assert.Equal(7, (await table["test-echo-async"](arguments))["n"]!.GetValue<int>());
        Assert.Equal("sync", (await table["test-sync"](arguments))["shape"]!.GetValue<string>());
        await Assert.ThrowsAsync<InvalidDataException>(() => table["test-throws"](arguments));
    }

    [InsideLab("test-echo-async")]
    private static async Task<JsonObject> EchoAsync(JsonObject arguments, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return new JsonObject { ["n"] = arguments["n"]!.GetValue<int>(), ["cancellable"] = cancellationToken.CanBeCanceled };
    }

    [InsideLab("test-sync")]
    private static JsonObject Sync() => new() { ["shape"] = "sync" };

    // A failing experiment's own exception reaches the child's error line, not a reflection wrapper.
    [InsideLab("test-throws")]
    private static JsonObject Throws() => throw new InvalidDataException("the experiment failed");
}
