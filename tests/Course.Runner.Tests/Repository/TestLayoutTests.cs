namespace Course.Runner.Tests.Repository;

/// <summary>The tests mirror the sources: each folder of the lab and of the publisher has a test folder of the same name.</summary>
public sealed class TestLayoutTests
{
    /// <summary>Test folders that mirror no source folder, and why: they test the whole runner, or hold what tests share.</summary>
    private static readonly string[] TestOnlyFolders = ["Faults", "Fixtures", "Repository"];

    [Theory]
    [InlineData("lib/AddressInUse", "tests/AddressInUse.Tests")]
    [InlineData("lib/Course.Runner", "tests/Course.Runner.Tests")]
    public void TestFolders_EverySourceFolder_HasOneOfTheSameName(string source, string tests)
    {
        var sourceFolders = FoldersWithCode(Checkout.Path(source.Split('/')));
        var testFolders = FoldersWithCode(Checkout.Path(tests.Split('/')));

        Assert.Equal(sourceFolders, testFolders.Except(TestOnlyFolders));
    }

    private static List<string> FoldersWithCode(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, Path.GetDirectoryName(f)!))
            .Where(d => d != "." && d.Split(Path.DirectorySeparatorChar)[0] is not ("bin" or "obj"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
}
