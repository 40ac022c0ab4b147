using AddressInUse.Cases;
using AddressInUse.Charts;
using AddressInUse.Display;
using AddressInUse.Native;

namespace AddressInUse.Experiments;

/// <summary>
/// Two runs of one experiment shown side by side: each run is one case, drawn as a group of bars and a table row.
/// The comparisons of chapter 09 (who closes first, SO_LINGER {on, 0}) share this instead of each spelling it out.
/// </summary>
/// <typeparam name="TRun">One run's outcome.</typeparam>
public abstract record SideBySide<TRun> : MeasuredResult
{
    /// <summary>The two runs, in the order they are shown.</summary>
    protected abstract IReadOnlyList<TRun> Runs { get; }

    /// <summary>One run's case for results.json.</summary>
    protected abstract CaseRecord CaseOf(TRun run);

    /// <summary>One run's label under its group of bars.</summary>
    protected abstract string Label(TRun run);

    /// <inheritdoc />
    public sealed override IEnumerable<CaseRecord> Cases => Runs.Select(CaseOf);

    /// <summary>A bar chart with one group per run and one bar per measure, titled with this OS.</summary>
    protected Figure Bars(string name, string title, string valueTitle, params (string Name, Func<TRun, double> Value, string Color)[] measures) =>
        BarChart.Build(name, $"{title} ({OsInfo.CurrentName})", Runs.Select(Label).ToList(),
            measures.Select(m => new BarSeries(m.Name, Runs.Select(m.Value).ToList(), m.Color)).ToList(), valueTitle);

    /// <summary>A table with one row per run.</summary>
    protected string Table(IEnumerable<string> headers, Func<TRun, IEnumerable<string>> row) => Html.Table(headers, Runs.Select(row));
}
