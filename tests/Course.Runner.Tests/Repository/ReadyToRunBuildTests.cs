using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace Course.Runner.Tests.Repository;

/// <summary>The runner's build ships ReadyToRun images of Roslyn and the kernel on Linux x64, so no chapter's kernel worker JIT-compiles them.</summary>
public sealed class ReadyToRunBuildTests
{
    private static readonly string Root = Checkout.Root;

    public static TheoryData<string> Images => new()
    {
        "Microsoft.CodeAnalysis.dll", "Microsoft.CodeAnalysis.CSharp.dll", "Microsoft.CodeAnalysis.Scripting.dll",
        "Microsoft.DotNet.Interactive.dll", "Microsoft.DotNet.Interactive.CSharp.dll", "Microsoft.DotNet.Interactive.Formatting.dll",
    };

    [LinuxX64Theory]
    [MemberData(nameof(Images))]
    public void RunnerBuild_OnLinuxX64_KernelAssemblyIsAReadyToRunImage(string file)
    {
        // The runner's own output folder, built with the same configuration as this test (the test's copies stay IL: they come from NuGet).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(Root, "lib", "Course.Runner", "bin", configuration, "net10.0", file);
        Assert.True(File.Exists(path), $"{path} is missing: build lib/Course.Runner first.");

        using var reader = new PEReader(File.OpenRead(path));
        // A ReadyToRun image has a managed native header (the READYTORUN_HEADER); an IL-only assembly has none.
        Assert.True(reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{file} in the runner's bin folder is IL only: the CourseReadyToRun targets did not run.");
    }
}

/// <summary>A theory for Linux x64, where the build makes ReadyToRun images; skipped elsewhere with the reason.</summary>
public sealed class LinuxX64TheoryAttribute : TheoryAttribute
{
    /// <summary>Skips off Linux x64.</summary>
    public LinuxX64TheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            Skip = "The build makes ReadyToRun images on Linux x64 only (Course.Runner.csproj).";
        }
    }
}
