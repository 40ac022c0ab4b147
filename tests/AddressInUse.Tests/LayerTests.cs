using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace AddressInUse.Tests;

/// <summary>
/// The lab's folders are floors of one house, and every arrow (a type named in a signature, a body, an attribute) points down.
/// Run alone with: dotnet test tests/AddressInUse.Tests --filter FullyQualifiedName~LayerTests
/// </summary>
public sealed class LayerTests
{
    /// <summary>
    /// The lab's folders from the ground floor up; a folder may use only the folders before it. Written once, here.
    /// Native: the OS's own calls. Cases: what a measurement records (CaseRecord, SocketSide, IHasCases).
    /// Display: the vocabulary values display themselves with (HTML blocks, MIME types, the formatter source), knowing no value type.
    /// Child and Observation: the child server and the OS's TCP table. Lab: the private network namespace, knowing no experiment.
    /// Capture: the segments on the lab's lo (AF_PACKET) and the kernel's counters. Charts: figures of observations and captures. Diagnosis: who holds a port. Experiments: the questions the chapters ask.
    /// Verdicts: sentences judged against cases. Measurement: chapters measured without a kernel. The root (Program): the entry
    /// point, which composes the lab child's table of experiments.
    /// </summary>
    public static readonly string[] FloorsFromTheGroundUp =
        ["Native", "Cases", "Display", "Child", "Observation", "Lab", "Capture", "Charts", "Diagnosis", "Experiments", "Verdicts", "Measurement"];

    private static readonly System.Reflection.Assembly Lab = typeof(AddressInUse.Cases.CaseRecord).Assembly;

    public static TheoryData<string> Floors() => new(FloorsFromTheGroundUp);

    [Theory]
    [MemberData(nameof(Floors))]
    public void Floor_TypesItUses_NoneFromAFloorAbove(string floor)
    {
        var above = FloorsFromTheGroundUp.SkipWhile(f => f != floor).Skip(1).Select(f => $"AddressInUse.{f}")
            // The entry point's own types (Program) stand above every folder.
            .Concat(Lab.GetTypes().Where(t => t.Namespace == "AddressInUse").Select(t => t.FullName!))
            .ToArray();

        var result = Types.InAssembly(Lab).That().ResideInNamespace($"AddressInUse.{floor}").ShouldNot().HaveDependencyOnAny(above).GetResult();

        var upward = (result.FailingTypes ?? []).Select(t => $"{t.FullName}: {t.Explanation}").ToList();
        Assert.True(upward.Count == 0, $"{floor} uses a floor above it ({string.Join(" < ", FloorsFromTheGroundUp)}):{Environment.NewLine}{string.Join(Environment.NewLine, upward)}");
    }

    [Fact]
    public void Checker_ADownwardArrow_IsSeen()
    {
        // The rule above passes only if the checker sees arrows at all: the experiments do use the OS's own calls and the cases.
        var result = Types.InAssembly(Lab).That().ResideInNamespace("AddressInUse.Experiments").ShouldNot().HaveDependencyOnAny("AddressInUse.Native", "AddressInUse.Cases").GetResult();

        Assert.Contains(result.FailingTypes ?? [], t => t.FullName == typeof(AddressInUse.Experiments.RestartComparison).FullName);
    }

    [Fact]
    public void Floors_EveryFolderOfTheLab_IsAFloor()
    {
        var folders = Directory.GetDirectories(Checkout.Path("lib", "AddressInUse"))
            .Select(Path.GetFileName)
            .Where(name => name is not ("obj" or "bin") && Directory.EnumerateFiles(Checkout.Path("lib", "AddressInUse", name!), "*.cs", SearchOption.AllDirectories).Any())
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(FloorsFromTheGroundUp.Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void SourceFiles_Namespace_IsTheirFolder()
    {
        var root = Checkout.Path("lib", "AddressInUse");
        var misplaced = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            var folder = Path.GetRelativePath(root, Path.GetDirectoryName(file)!);
            var expected = folder == "." ? "AddressInUse" : "AddressInUse." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = Regex.Match(File.ReadAllText(file), @"^namespace\s+([\w.]+)", RegexOptions.Multiline).Groups[1].Value;
            if (declared != expected)
            {
                misplaced.Add($"{Path.GetRelativePath(root, file)} declares {declared}, its folder says {expected}");
            }
        }

        Assert.Empty(misplaced);
    }
}
