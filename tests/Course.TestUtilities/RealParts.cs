using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Course.TestUtilities;

/// <summary>A program or OS feature the course did not write that some tests need (a real browser, nc, Jupyter...).</summary>
public enum RealPart
{
    /// <summary>netcat (nc) on PATH.</summary>
    Netcat,

    /// <summary>python3 on PATH.</summary>
    Python3,

    /// <summary>python3 with the nbformat module: Jupyter's reference notebook validator.</summary>
    PythonNbformat,

    /// <summary>python3 with PyYAML.</summary>
    PythonYaml,

    /// <summary>Jupyter's nbconvert with nbclient, which runs a notebook through a real kernel.</summary>
    Jupyter,

    /// <summary>The .NET Interactive kernel tool (Microsoft.dotnet-interactive) restored from the repository's tool manifest.</summary>
    KernelTool,

    /// <summary>dotnet-repl restored from the repository's tool manifest.</summary>
    DotnetRepl,

    /// <summary>wine64 and wineserver on Linux.</summary>
    Wine,

    /// <summary>The private network lab: util-linux's unshare with unprivileged user and network namespaces.</summary>
    NetworkLab,

    /// <summary>iproute2's ip.</summary>
    IpRoute,

    /// <summary>nftables' nft.</summary>
    Nft,

    /// <summary>The NuGet package source this machine is configured with, reachable now (for tests that restore a package a learner would).</summary>
    NuGet,

    /// <summary>The classic Jupyter Notebook 6 server (`jupyter notebook`), whose page marks notebooks trusted or not.</summary>
    JupyterNotebook,
}

/// <summary>
/// Which real parts are here, and the one rule for tests that need one: a missing part skips the test with a reason that names the
/// part and its install command, unless COURSE_REQUIRE_REAL_PARTS=1 (CI sets it), where the same test fails with that reason instead.
/// </summary>
public static class RealParts
{
    /// <summary>The environment variable that turns a missing part from a skip into a failure.</summary>
    public const string RequireVariable = "COURSE_REQUIRE_REAL_PARTS";

    private static readonly Dictionary<RealPart, Lazy<string?>> Problems = Enum.GetValues<RealPart>()
        .ToDictionary(part => part, part => new Lazy<string?>(() => FindProblem(part)));

    /// <summary>True when every real part must be present (CI): a test that needs a missing one fails instead of skipping.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>The part's name as a learner would look for it.</summary>
    public static string Name(RealPart part) => part switch
    {
        RealPart.Netcat => "netcat (nc)",
        RealPart.Python3 => "python3",
        RealPart.PythonNbformat => "Python's nbformat (Jupyter's reference notebook validator)",
        RealPart.PythonYaml => "Python's PyYAML",
        RealPart.Jupyter => "Jupyter nbconvert with nbclient",
        RealPart.KernelTool => "the .NET Interactive kernel tool (Microsoft.dotnet-interactive 1.0.712001)",
        RealPart.DotnetRepl => "dotnet-repl 0.3.259",
        RealPart.Wine => "Wine (wine64)",
        RealPart.NetworkLab => "the private network lab (util-linux's unshare with unprivileged user namespaces)",
        RealPart.IpRoute => "iproute2 (ip)",
        RealPart.Nft => "nftables (nft)",
        RealPart.NuGet => "a reachable NuGet package source",
        RealPart.JupyterNotebook => "the Jupyter Notebook 6 server (jupyter notebook)",
        _ => part.ToString(),
    };

    /// <summary>The command that installs the part (Debian's package, or the repository's tool manifest).</summary>
    public static string InstallCommand(RealPart part) => part switch
    {
        RealPart.Netcat => "apt-get install netcat-openbsd",
        RealPart.Python3 => "apt-get install python3",
        RealPart.PythonNbformat => "apt-get install python3-nbformat",
        RealPart.PythonYaml => "apt-get install python3-yaml",
        RealPart.Jupyter => "apt-get install jupyter-nbconvert python3-nbclient",
        RealPart.KernelTool or RealPart.DotnetRepl => "dotnet tool restore",
        RealPart.Wine => "apt-get install wine64",
        RealPart.NetworkLab => "apt-get install util-linux (and allow unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1)",
        RealPart.IpRoute => "apt-get install iproute2",
        RealPart.Nft => "apt-get install nftables",
        RealPart.NuGet => "connect the machine to its NuGet source (check with: dotnet package search XPlot.Plotly --exact-match)",
        RealPart.JupyterNotebook => "apt-get install --no-install-recommends jupyter-notebook",
        _ => "",
    };

    /// <summary>Why the part cannot be used here, or null when it can.</summary>
    public static string? Problem(RealPart part) => Problems[part].Value;

    /// <summary>The skip reason for a test that needs these parts: null when all are here, or when they are required (the test then runs and fails).</summary>
    public static string? SkipReason(params RealPart[] parts) =>
        SkipReason(parts.Select(p => (Name(p), InstallCommand(p), Problem(p))));

    /// <summary>The skip reason for parts described by name, install command and problem (null problem: present).</summary>
    public static string? SkipReason(IEnumerable<(string Name, string Install, string? Problem)> parts) =>
        SkipFor(linuxOnly: false, unixOnly: false, MissingReason(parts));

    /// <summary>What is missing, named with its install command, or null when every part is here (whatever COURSE_REQUIRE_REAL_PARTS says).</summary>
    public static string? MissingReason(IEnumerable<(string Name, string Install, string? Problem)> parts)
    {
        var missing = parts.Where(p => p.Problem is not null).Select(p => $"{p.Name}, missing here ({p.Problem}); install it with `{p.Install}`").ToList();
        return missing.Count == 0
            ? null
            : $"Needs {string.Join("; and ", missing)}.";
    }

    /// <summary>What is missing of these parts, or null.</summary>
    public static string? MissingReason(params RealPart[] parts) =>
        MissingReason(parts.Select(p => (Name(p), InstallCommand(p), Problem(p))));

    /// <summary>The skip reason of a test that may assert Linux only and may miss parts: the OS first, then the parts unless they are required.</summary>
    public static string? SkipFor(bool linuxOnly, bool unixOnly, string? missing) =>
        linuxOnly && !OperatingSystem.IsLinux() ? "Asserts Linux behaviour; other OSes have their own expectations."
        : unixOnly && !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() ? "Asserts Unix behaviour (Linux/macOS); this OS has its own expectations."
        : Required || missing is null ? null : $"{missing} With {RequireVariable}=1 (as CI runs) this test fails instead of skipping.";

    /// <summary>True when a test limited to Linux or Unix runs on this OS.</summary>
    public static bool OsMatches(bool linuxOnly, bool unixOnly) =>
        (!linuxOnly || OperatingSystem.IsLinux()) && (!unixOnly || OperatingSystem.IsLinux() || OperatingSystem.IsMacOS());

    /// <summary>Fails the test, naming the part and its install command, when a part is missing (for a test that can do part of its work without it).</summary>
    public static void Require(params RealPart[] parts)
    {
        if (MissingReason(parts) is { } reason)
        {
            Assert.Fail(reason);
        }
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The python3 that has a module: python3 on PATH first, then Debian's /usr/bin/python3 (a pyenv or venv python3 on PATH may lack what Debian installed).</summary>
    public static string? PythonWith(string module)
    {
        foreach (var candidate in new[] { FindOnPath("python3"), "/usr/bin/python3" })
        {
            // `from M import *` fails on an empty folder of that name too, which a bare import would take for a namespace package.
            if (candidate is not null && File.Exists(candidate) && Runs(candidate, "-c", $"from {module} import *"))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string? FindProblem(RealPart part) => part switch
    {
        RealPart.Netcat => FindOnPath("nc") is null ? "no nc on PATH" : null,
        RealPart.Python3 => FindOnPath("python3") is null ? "no python3 on PATH" : null,
        RealPart.PythonNbformat => PythonWith("nbformat") is null ? "no python3 on PATH or at /usr/bin/python3 can import nbformat" : null,
        RealPart.PythonYaml => PythonWith("yaml") is null ? "no python3 on PATH or at /usr/bin/python3 can import yaml" : null,
        RealPart.Jupyter => FindOnPath("jupyter") is not { } jupyter ? "no jupyter on PATH"
            : !Runs(jupyter, "nbconvert", "--version") ? "`jupyter nbconvert --version` failed"
            : PythonWith("nbclient") is null ? "no python3 can import nbclient" : null,
        RealPart.KernelTool => !Runs("dotnet", "tool", "run", "dotnet-interactive", "--", "--version") ? "`dotnet dotnet-interactive --version` failed (the local tool is not restored)" : null,
        RealPart.DotnetRepl => !Runs("dotnet", "tool", "run", "dotnet-repl", "--", "--version") ? "`dotnet dotnet-repl --version` failed (the local tool is not restored)" : null,
        RealPart.Wine => !OperatingSystem.IsLinux() ? "the course runs the Windows code path under Wine on Linux only"
            : (FindOnPath("wine64") ?? (File.Exists("/usr/lib/wine/wine64") ? "/usr/lib/wine/wine64" : null)) is null ? "no wine64 on PATH or at /usr/lib/wine/wine64" : null,
        RealPart.NetworkLab => AddressInUse.Lab.NetworkLab.Availability is { Available: false } lab ? lab.Reason : null,
        RealPart.IpRoute => FindOnPath("ip") is null ? "no ip on PATH" : null,
        RealPart.Nft => FindOnPath("nft") is null ? "no nft on PATH" : null,
        RealPart.NuGet => !Runs("dotnet", "package", "search", "XPlot.Plotly", "--exact-match") ? "`dotnet package search XPlot.Plotly --exact-match` failed" : null,
        // Notebook 7 is a JupyterLab front end without the classic page's trust marks and its Jupyter.notebook object.
        RealPart.JupyterNotebook => FindOnPath("jupyter") is not { } jupyter ? "no jupyter on PATH"
            : Output(jupyter, "notebook", "--version") is not { } version ? "`jupyter notebook --version` failed"
            : !version.Trim().StartsWith("6.", StringComparison.Ordinal) ? $"`jupyter notebook --version` says {version.Trim()}, not 6.x" : null,
        _ => null,
    };

    // Runs a probe to its end (at most 60 s), from the repository root so the tool manifest is found; true when it exits 0.
    private static bool Runs(string program, params string[] args) => Output(program, args) is not null;

    // The probe's standard output when it exits 0 within 60 s, or null.
    private static string? Output(string program, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Checkout.RootOrNull is { } root)
            {
                info.WorkingDirectory = root;
            }
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return null;
            }
            Task.WaitAll(stdout, stderr);
            return process.ExitCode == 0 ? stdout.Result : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>A fact that needs real parts: skipped naming each missing part and its install command, or failed with that reason under COURSE_REQUIRE_REAL_PARTS=1.</summary>
[XunitTestCaseDiscoverer("Course.TestUtilities.RealPartsFactDiscoverer", "Course.TestUtilities")]
public class RealPartsFactAttribute : FactAttribute
{
    /// <summary>Needs the given parts.</summary>
    public RealPartsFactAttribute(params RealPart[] parts)
        : this(parts.Select(p => (RealParts.Name(p), RealParts.InstallCommand(p), RealParts.Problem(p))))
    {
    }

    /// <summary>Needs parts described by name, install command and problem (null: present), for parts the publisher's helpers locate.</summary>
    protected RealPartsFactAttribute(IEnumerable<(string Name, string Install, string? Problem)> parts)
    {
        Missing = RealParts.MissingReason(parts);
    }

    private string? _skip;

    /// <summary>True when the test asserts Linux behaviour: skipped (never failed) on other OSes.</summary>
    public bool LinuxOnly { get; set; }

    /// <summary>True when the test asserts Unix behaviour (Linux, macOS): skipped (never failed) on other OSes.</summary>
    public bool UnixOnly { get; set; }

    /// <summary>Why the test is skipped: another OS than it asserts, or a missing part (unless COURSE_REQUIRE_REAL_PARTS=1).</summary>
    public override string? Skip
    {
        get => _skip ?? RealParts.SkipFor(LinuxOnly, UnixOnly, Missing);
        set => _skip = value;
    }

    /// <summary>What is missing, or null; read by the discoverer to fail the test under COURSE_REQUIRE_REAL_PARTS=1.</summary>
    public string? Missing { get; }
}

/// <summary>A theory that needs real parts, skipped or failed as <see cref="RealPartsFactAttribute"/>.</summary>
/// <remarks>xunit tells a theory from a fact by the discoverer its attribute names, not by TheoryAttribute as a base, so this inherits the fact's skip logic.</remarks>
[XunitTestCaseDiscoverer("Course.TestUtilities.RealPartsTheoryDiscoverer", "Course.TestUtilities")]
public class RealPartsTheoryAttribute : RealPartsFactAttribute
{
    /// <summary>Needs the given parts.</summary>
    public RealPartsTheoryAttribute(params RealPart[] parts)
        : base(parts)
    {
    }

    /// <summary>Needs parts described by name, install command and problem (null: present).</summary>
    protected RealPartsTheoryAttribute(IEnumerable<(string Name, string Install, string? Problem)> parts)
        : base(parts)
    {
    }
}

/// <summary>Discovers a <see cref="RealPartsFactAttribute"/> test: under COURSE_REQUIRE_REAL_PARTS=1 with a part missing, a test case that fails with what is missing.</summary>
public sealed class RealPartsFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        RealPartsDiscovery.FailWhenRequired(DiagnosticMessageSink, discoveryOptions, testMethod, factAttribute)
        ?? base.Discover(discoveryOptions, testMethod, factAttribute);
}

/// <summary>Discovers a <see cref="RealPartsTheoryAttribute"/> test, failing it under COURSE_REQUIRE_REAL_PARTS=1 with a part missing.</summary>
public sealed class RealPartsTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        RealPartsDiscovery.FailWhenRequired(DiagnosticMessageSink, discoveryOptions, testMethod, theoryAttribute)
        ?? base.Discover(discoveryOptions, testMethod, theoryAttribute);
}

internal static class RealPartsDiscovery
{
    // A failing test case instead of the real one: the test cannot run without the part, and CI must not pass by skipping it.
    public static IEnumerable<IXunitTestCase>? FailWhenRequired(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo attribute)
    {
        var missing = attribute.GetNamedArgument<string?>("Missing");
        var osMatches = RealParts.OsMatches(attribute.GetNamedArgument<bool>("LinuxOnly"), attribute.GetNamedArgument<bool>("UnixOnly"));
        return missing is not null && RealParts.Required && osMatches
            ? [new ExecutionErrorTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method,
                $"{RealParts.RequireVariable}=1 and a real part is missing. {missing}")]
            : null;
    }
}
