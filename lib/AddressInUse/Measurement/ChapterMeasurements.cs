using AddressInUse.Child;
using AddressInUse.Experiments;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Cases;

namespace AddressInUse.Measurement;

/// <summary>One experiment call a chapter's notebook makes, as the measurement entry point repeats it.</summary>
/// <param name="Name">A short name for progress lines and failures.</param>
/// <param name="NotebookCall">The call as the chapter's notebook spells it (a test keeps the two in step).</param>
/// <param name="Run">Runs the call (quick or not) and returns the cases it measured.</param>
public sealed record ChapterCall(string Name, string NotebookCall, Func<ChapterRunContext, Task<IReadOnlyList<CaseRecord>>> Run);

/// <summary>One chapter's experiment calls, in the notebook's order.</summary>
/// <param name="Chapter">The chapter name, as results.json files it ("01-address-already-in-use").</param>
/// <param name="Calls">The calls.</param>
public sealed record ChapterPlan(string Chapter, IReadOnlyList<ChapterCall> Calls);

/// <summary>What the calls of one run share: quick mode, and the full matrix (chapters 05 and 10 measure the same one).</summary>
public sealed class ChapterRunContext
{
    private Task<PortSharingMatrix>? _full;

    /// <summary>Creates a context; quick mode uses the fewest probes per target.</summary>
    public ChapterRunContext(bool quick, CancellationToken cancellationToken = default)
    {
        Quick = quick;
        CancellationToken = cancellationToken;
    }

    /// <summary>Whether the run is quick (fewer probes per target).</summary>
    public bool Quick { get; }

    /// <summary>Cancels the experiments (each still cleans up).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The chapters' probesPerTarget parameter: 8 as in the notebooks, 2 in quick mode.</summary>
    public int ProbesPerTarget => Quick ? 2 : 8;

    /// <summary>The full D1 matrix, measured once per run and shared by chapters 05 and 10.</summary>
    public Task<PortSharingMatrix> FullMatrixAsync() =>
        _full ??= PortSharing.MeasureAsync(PortSharingPlan.Full() with { ProbesPerTarget = ProbesPerTarget }, CancellationToken);
}

/// <summary>
/// The experiment calls of chapters 01, 05 and 10, with the same arguments their notebooks pass, so that a process
/// without a notebook kernel (a win-x64 publish under Wine) runs the chapters' own code path and records its cases.
/// Each call is written once in <see cref="Calls"/>; a chapter's plan lists the calls its notebook makes (a test checks
/// both ways against the notebooks, which stay the authority).
/// </summary>
public static class ChapterMeasurements
{
    /// <summary>Every call the measure verb knows, each written once with its notebook spelling.</summary>
    public static class Calls
    {
        /// <summary>A1 without options, in a new process as the notebook's first run.</summary>
        public static ChapterCall RestartNoOptions { get; } = Restart("restart-no-options", "RestartAfterKill.RunAsync(RestartCase.NoOptions, port)", RestartCase.NoOptions);

        /// <summary>A1 with SO_REUSEADDR on both servers.</summary>
        public static ChapterCall RestartReuseAddress { get; } = Restart("restart-reuseaddr", "RestartAfterKill.RunAsync(RestartCase.ReuseAddress)", RestartCase.ReuseAddress);

        /// <summary>A1 with .NET's own Bind.</summary>
        public static ChapterCall RestartDotnet { get; } = Restart("restart-dotnet", "RestartAfterKill.RunAsync(RestartCase.DotnetBind)", RestartCase.DotnetBind);

        /// <summary>G1: what Socket.Bind sets by itself (shown, not filed as cases).</summary>
        public static ChapterCall DotnetBindDefault { get; } = new("dotnet-bind-default", "DotnetBindDefault.Measure()", _ =>
        {
            Experiments.DotnetBindDefault.Measure();
            return Task.FromResult<IReadOnlyList<CaseRecord>>([]);
        });

        /// <summary>A4: a restart beside an accepted connection that still serves.</summary>
        public static ChapterCall ListenerDiesChildServes { get; } = Plan("a4", "PortSharingPlan.ListenerDiesChildServes()", PortSharingPlan.ListenerDiesChildServes());

        /// <summary>D2: both sockets need SO_REUSEADDR.</summary>
        public static ChapterCall BothNeedIt { get; } = Plan("d2", "PortSharingPlan.BothNeedIt()", PortSharingPlan.BothNeedIt());

        /// <summary>D1: the full matrix, measured once per run however many chapters show it.</summary>
        public static ChapterCall Matrix { get; } = new("matrix", PlanCall("PortSharingPlan.Full()"),
            async c => (await c.FullMatrixAsync().ConfigureAwait(false)).Cases.ToList());

        /// <summary>F3: SO_REUSEADDR on every TCP server before bind.</summary>
        public static ChapterCall BestPractice { get; } = Plan("f3", "PortSharingPlan.BestPractice()", PortSharingPlan.BestPractice());

        /// <summary>G2: what ReuseAddress sets, read back.</summary>
        public static ChapterCall DotnetReuseOptions { get; } = new("dotnet-reuse-options", "DotnetReuseOptions.Measure()",
            _ => Task.FromResult<IReadOnlyList<CaseRecord>>(Experiments.Matrix.DotnetReuseOptions.Measure().Cases.ToList()));

        /// <summary>The claims ledger, judged from the matrix, D6 multicast and D7 on both bind paths.</summary>
        public static ChapterCall ClaimsLedger { get; } = new("claims-ledger", "ClaimsLedger.Judge(matrix, multicast, d7Native, d7Dotnet)", async c =>
        {
            var native = await FiveTuple.MeasureAsync(cancellationToken: c.CancellationToken).ConfigureAwait(false);
            var dotnet = await FiveTuple.MeasureAsync(BindApi.Dotnet, c.CancellationToken).ConfigureAwait(false);
            var multicast = await UdpReceivers.BothPathsAsync(multicast: true, sockets: 3, cancellationToken: c.CancellationToken).ConfigureAwait(false);
            Experiments.Matrix.ClaimsLedger.Judge(await c.FullMatrixAsync().ConfigureAwait(false), multicast, native, dotnet);
            // Judged as the chapter does (under Wine every verdict is "not measured"); verdicts are no measurement, so only the measured cases are kept.
            return native.Cases.Concat(dotnet.Cases).Concat(multicast.Cases).ToList();
        });

        /// <summary>Every call, in the order above.</summary>
        public static IReadOnlyList<ChapterCall> All { get; } =
            [RestartNoOptions, RestartReuseAddress, RestartDotnet, DotnetBindDefault, ListenerDiesChildServes, BothNeedIt, Matrix, BestPractice, DotnetReuseOptions, ClaimsLedger];
    }

    /// <summary>The chapters this entry point measures, in course order, each named as its notebook file.</summary>
    public static IReadOnlyList<ChapterPlan> All { get; } =
    [
        new("01-address-already-in-use", [Calls.RestartNoOptions, Calls.RestartReuseAddress, Calls.RestartDotnet, Calls.DotnetBindDefault]),
        new("05-so-reuseaddr", [Calls.ListenerDiesChildServes, Calls.BothNeedIt, Calls.Matrix, Calls.BestPractice]),
        new("10-csharp-and-your-os", [Calls.Matrix, Calls.DotnetBindDefault, Calls.DotnetReuseOptions, Calls.ClaimsLedger]),
    ];

    /// <summary>The plans of the named chapters ("01", "05" or full names); unknown names are a clear error.</summary>
    public static IReadOnlyList<ChapterPlan> Select(IReadOnlyCollection<string> chapters)
    {
        if (chapters.Count == 0)
        {
            return All;
        }
        var chosen = new List<ChapterPlan>();
        foreach (var name in chapters)
        {
            var plan = All.FirstOrDefault(p => p.Chapter == name || p.Chapter.StartsWith(name + "-", StringComparison.Ordinal))
                ?? throw new ArgumentException($"measure: no chapter '{name}'. Measurable chapters: {string.Join(", ", All.Select(p => p.Chapter[..2]))}.");
            if (!chosen.Contains(plan))
            {
                chosen.Add(plan);
            }
        }
        return chosen;
    }

    private static ChapterCall Restart(string name, string call, RestartCase restartCase) =>
        new(name, call, async c => [(await RestartAfterKill.RunAsync(restartCase, cancellationToken: c.CancellationToken).ConfigureAwait(false)).ToCase()]);

    // The chapters pass their probesPerTarget to every plan they measure; so does this entry point (2 in quick mode).
    private static string PlanCall(string plan) => $"PortSharing.MeasureAsync({plan} with {{ ProbesPerTarget = probesPerTarget }})";

    private static ChapterCall Plan(string name, string plan, PortSharingPlan measured) =>
        new(name, PlanCall(plan), async c => (await PortSharing.MeasureAsync(measured with { ProbesPerTarget = c.ProbesPerTarget }, c.CancellationToken).ConfigureAwait(false)).Cases.ToList());
}
