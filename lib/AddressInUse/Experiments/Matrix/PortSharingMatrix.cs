using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>The measured matrix: one outcome per case, the cases this machine could not run, and how long it all took.</summary>
/// <remarks>Displayed, it shows a summary and carries every case for results.json; use <see cref="Chart"/> and <see cref="Table"/> for views.</remarks>
public sealed record PortSharingMatrix : MeasuredResult
{
    /// <summary>Wraps measured outcomes (normally made by <see cref="PortSharing.MeasureAsync(PortSharingPlan, CancellationToken)"/>).</summary>
    public PortSharingMatrix(PortSharingPlan plan, IReadOnlyList<PortSharingOutcome> outcomes, IReadOnlyList<PortSharingSkip> skipped, IReadOnlyList<string> notes, TimeSpan elapsed)
    {
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        Outcomes = outcomes ?? throw new ArgumentNullException(nameof(outcomes));
        Skipped = skipped ?? Array.Empty<PortSharingSkip>();
        Notes = notes ?? Array.Empty<string>();
        Elapsed = elapsed;
    }

    /// <summary>The plan that was measured.</summary>
    public PortSharingPlan Plan { get; }

    /// <summary>The scenario id every case is filed under.</summary>
    public string Scenario => Plan.Scenario;

    /// <summary>"linux", "macos" or "windows".</summary>
    public string Os => Plan.Os == OsInfo.Current ? OsInfo.CurrentName : OsInfo.FolderName(Plan.Os);

    /// <summary>One outcome per measured case, in plan order.</summary>
    public IReadOnlyList<PortSharingOutcome> Outcomes { get; }

    /// <summary>Cases the plan asked for that this machine cannot run, each with its reason.</summary>
    public IReadOnlyList<PortSharingSkip> Skipped { get; }

    /// <summary>Things that went differently from plan (ports taken by other programs, retried).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>How long measuring the whole plan took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Every case as a results.json record.</summary>
    public override IEnumerable<CaseRecord> Cases => Outcomes.Select(o => o.ToCase(Scenario));

    /// <summary>Where the cases that bind the wildcard address ran (the private network lab or this machine) and how long their sockets were open.</summary>
    public WildcardPlacement Wildcard => WildcardPlacement.Of(Outcomes);

    /// <summary>The outcome of one cell, or null where it was not measured.</summary>
    public PortSharingOutcome? Find(PortHolder holder, SocketOptionSet first, SocketOptionSet second, BindApi api = BindApi.Native, AddressPair addresses = AddressPair.Same, ProtocolPair? protocols = null)
    {
        var pair = protocols ?? NaturalProtocols(holder);
        return Outcomes.FirstOrDefault(o =>
            o.Case.Holder == holder && o.Case.FirstOptions == first && o.Case.SecondOptions == second &&
            o.Case.Api == api && o.Case.Addresses == addresses && o.Case.Protocols == pair);
    }

    /// <summary>The outcome of one cell; throws a clear error when the plan did not include it or this machine skipped it.</summary>
    public PortSharingOutcome Get(PortHolder holder, SocketOptionSet first, SocketOptionSet second, BindApi api = BindApi.Native, AddressPair addresses = AddressPair.Same, ProtocolPair? protocols = null)
    {
        if (Find(holder, first, second, api, addresses, protocols) is { } found)
        {
            return found;
        }
        var wanted = new PortSharingCase(api, protocols ?? NaturalProtocols(holder), holder, addresses, first, second);
        var skip = Skipped.FirstOrDefault(s => s.Case == wanted);
        throw new KeyNotFoundException(skip is not null
            ? $"Case {wanted.Name} was skipped on this machine: {skip.Reason}"
            : $"Case {wanted.Name} is not part of plan {Scenario}; measure a plan that includes it (PortSharingPlan.Full() has every case).");
    }

    /// <summary>A table of the outcomes that match, for reading cell by cell; it carries their cases (the runner keeps a case shown twice once).</summary>
    /// <param name="filter">Which outcomes to list.</param>
    /// <param name="title">The table's caption.</param>
    /// <param name="scenario">The scenario id to file the listed cases under, when a chapter uses them for another scenario (e.g. "G2"); the matrix's own by default.</param>
    public PortSharingTable Table(Func<PortSharingOutcome, bool> filter, string? title = null, string? scenario = null) =>
        new(title ?? $"{scenario ?? Scenario} cases", scenario ?? Scenario, Outcomes.Where(filter).ToList());

    /// <summary>
    /// One outcome grid per holder (rows: the first socket's options; columns: the second's), for one bind path,
    /// address pair and protocol pair. Holders default to every holder measured that way; UDP holders use UDP/UDP.
    /// </summary>
    /// <param name="api">The bind path to show.</param>
    /// <param name="addresses">The address pair to show.</param>
    /// <param name="holders">The holders to show, in order (every holder by default).</param>
    /// <param name="protocols">The protocol pair, or null for each holder's natural one.</param>
    /// <param name="name">The figure's slug, or null for one made from the scenario and the selection.</param>
    /// <param name="columns">Grids per row of the figure.</param>
    public Figure Chart(
        BindApi api = BindApi.Native,
        AddressPair addresses = AddressPair.Same,
        IEnumerable<PortHolder>? holders = null,
        ProtocolPair? protocols = null,
        string? name = null,
        int columns = 3)
    {
        var chosen = (holders ?? PortHolders.All).ToList();
        var panels = new List<MatrixPanel>();
        foreach (var holder in chosen)
        {
            var pair = protocols ?? NaturalProtocols(holder);
            var cells = Outcomes.Where(o => o.Case.Holder == holder && o.Case.Api == api && o.Case.Addresses == addresses && o.Case.Protocols == pair).ToList();
            if (cells.Count > 0)
            {
                panels.Add(Panel(holder.ToLabel(), cells, api));
            }
        }
        var apiLabel = api == BindApi.Native ? "the OS's own bind()" : "plain .NET sockets";
        var slug = name ?? $"{Scenario.ToLowerInvariant()}-matrix-{(api == BindApi.Native ? "native" : "dotnet")}-{addresses.ToName()}";
        return MatrixChart.Build(
            slug,
            $"{Scenario}: can a second socket bind the port? — {apiLabel}, {addresses.ToLabel()} ({Os})",
            panels,
            "first socket's options",
            "second socket's options",
            columns);
    }

    /// <summary>One grid per address pair for one holder, to compare how the addresses change the answer.</summary>
    public Figure ChartByAddresses(PortHolder holder, BindApi api = BindApi.Native, ProtocolPair? protocols = null, string? name = null)
    {
        var pair = protocols ?? NaturalProtocols(holder);
        var panels = new List<MatrixPanel>();
        foreach (var addresses in AddressPairs.All)
        {
            var cells = Outcomes.Where(o => o.Case.Holder == holder && o.Case.Api == api && o.Case.Addresses == addresses && o.Case.Protocols == pair).ToList();
            if (cells.Count > 0)
            {
                panels.Add(Panel(addresses.ToLabel(), cells, api));
            }
        }
        var slug = name ?? $"{Scenario.ToLowerInvariant()}-addresses-{holder.ToName().Replace('_', '-')}-{(api == BindApi.Native ? "native" : "dotnet")}";
        return MatrixChart.Build(
            slug,
            $"{Scenario}: {holder.ToLabel()} holds the port — by address pair ({(api == BindApi.Native ? "native" : ".NET")}, {Os})",
            panels,
            "first socket's options",
            "second socket's options",
            columns: 2);
    }

    /// <summary>
    /// Who got the traffic where two sockets ended up sharing the port: for every matching case and probed address, a bar
    /// split into the share the first socket accepted (or received) and the share the second did.
    /// </summary>
    /// <param name="filter">Which outcomes to show; cases where nobody shared the port are left out.</param>
    /// <param name="name">The figure's slug.</param>
    /// <param name="title">The figure's title, or null for a generic one.</param>
    /// <param name="scenario">The scenario id the page files these cases under (as given to <see cref="Table"/>), for the generic title; the plan's by default.</param>
    public Figure ShareChart(Func<PortSharingOutcome, bool> filter, string name, string? title = null, string? scenario = null)
    {
        var shared = Outcomes.Where(o => o.ShareKind is not null && filter(o)).ToList();
        if (shared.Count == 0)
        {
            throw new InvalidOperationException(
                $"None of the selected {Scenario} cases ended with two sockets sharing the port, so there is no traffic to split. " +
                "Select cases whose second socket listened (or bound, for UDP) beside a listener or UDP holder.");
        }
        var labels = new List<string>();
        var firsts = new List<double>();
        var seconds = new List<double>();
        var hovers = new List<string>();
        foreach (var o in shared)
        {
            foreach (var share in o.Shares)
            {
                labels.Add($"{AxisLabel(o.Case.FirstOptions, o.Case.Api)} → {AxisLabel(o.Case.SecondOptions, o.Case.Api)} · {o.Case.FirstAddress} then {o.Case.SecondAddress} · to {share.Target}" +
                           (shared.Select(x => x.Case.Api).Distinct().Count() > 1 ? $" · {o.Case.ApiName}" : ""));
                firsts.Add(share.First);
                seconds.Add(share.Second);
                hovers.Add($"{o.Case} — {share}");
            }
        }
        var first = Traces.Bars("first socket", labels, firsts, "#1e88e5");
        var second = Traces.Bars("second socket", labels, seconds, "#fb8c00");
        foreach (var trace in new[] { first, second })
        {
            // Horizontal bars read better with long case labels.
            (trace["x"], trace["y"]) = (trace["y"]!.DeepClone(), trace["x"]!.DeepClone());
            trace["orientation"] = "h";
            trace["hovertext"] = Traces.Strings(hovers);
            trace["hoverinfo"] = "text+name+x";
        }
        var figure = new Figure(name, title ?? $"{scenario ?? Scenario}: who got the traffic where two sockets shared the port ({Os})");
        figure.Data.Add(first);
        figure.Data.Add(second);
        figure.Layout["barmode"] = "stack";
        figure.Layout["xaxis"] = new System.Text.Json.Nodes.JsonObject { ["title"] = new System.Text.Json.Nodes.JsonObject { ["text"] = "connections accepted / datagrams received" } };
        figure.Layout["yaxis"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "category", ["autorange"] = "reversed", ["automargin"] = true };
        figure.Layout["height"] = 160 + 28 * labels.Count;
        figure.Layout["margin"] = new System.Text.Json.Nodes.JsonObject { ["l"] = 20, ["r"] = 20, ["t"] = 70, ["b"] = 90 };
        figure.Layout["legend"] = new System.Text.Json.Nodes.JsonObject { ["orientation"] = "h", ["x"] = 0, ["y"] = 0, ["yanchor"] = "bottom", ["yref"] = "container" };
        return figure;
    }

    /// <summary>A summary: how many cases each holder let through, per bind path, and what was skipped.</summary>
    public override string ToHtml()
    {
        var apis = Outcomes.Select(o => o.Case.Api).Distinct().OrderBy(a => a).ToList();
        var headers = new List<string> { "what holds the port" };
        headers.AddRange(apis.Select(a => a == BindApi.Native ? "native: ok / listen refused / bind refused" : ".NET: ok / listen refused / bind refused"));
        var rows = new List<IEnumerable<string>>();
        foreach (var holder in PortHolders.All)
        {
            if (!Outcomes.Any(o => o.Case.Holder == holder))
            {
                continue;
            }
            var row = new List<string> { Html.E(holder.ToLabel()) };
            foreach (var api in apis)
            {
                var these = Outcomes.Where(o => o.Case.Holder == holder && o.Case.Api == api).ToList();
                var ok = these.Count(o => o.Ok);
                var listenRefused = these.Count(o => !o.Ok && o.BindOk);
                row.Add(these.Count == 0 ? "—" : $"{ok} / {listenRefused} / {these.Count - ok - listenRefused}");
            }
            rows.Add(row);
        }
        var skipped = Skipped.Count == 0
            ? ""
            : $"<p><b>Skipped {Skipped.Count} cases:</b> {Html.E(string.Join(" ", Skipped.Select(s => s.Reason).Distinct()))}</p>";
        var notes = Notes.Count == 0 ? "" : $"<p><i>Notes: {Html.E(string.Join("; ", Notes))}</i></p>";
        var wildcard = Wildcard.Cases == 0 ? "" : $"<p>{Html.E(Wildcard.ToString())}</p>";
        return $"<div class=\"course-outcome\"><p><b>{Html.E(Scenario)}</b>: {Outcomes.Count} cases measured on {Html.E(Os)} in {Elapsed.TotalSeconds:0.00} s, " +
               $"each on its own fresh port.</p>{Html.Table(headers, rows)}{wildcard}{skipped}{notes}</div>";
    }

    /// <summary>"D1: 1040 cases on linux in 2.31 s (12 skipped)".</summary>
    public override string ToString() =>
        $"{Scenario}: {Outcomes.Count} cases on {Os} in {Elapsed.TotalSeconds:0.00} s" + (Skipped.Count > 0 ? $" ({Skipped.Count} skipped)" : "");

    /// <summary>The protocol pair a holder is shown with when none is named: UDP beside UDP, TCP beside TCP.</summary>
    public static ProtocolPair NaturalProtocols(PortHolder holder) => holder == PortHolder.Udp ? ProtocolPair.UdpUdp : ProtocolPair.TcpTcp;

    /// <summary>The short axis label of an option set: "none", "REUSEADDR", "REUSEPORT", "both", "EXCLUSIVE" (or .NET's names).</summary>
    public static string AxisLabel(SocketOptionSet options, BindApi api) => (api, options) switch
    {
        (BindApi.Dotnet, SocketOptionSet.None) => "plain Bind",
        (BindApi.Dotnet, SocketOptionSet.ReuseAddress) => "ReuseAddress",
        (BindApi.Dotnet, SocketOptionSet.ExclusiveAddressUse) => "ExclusiveAddressUse",
        (_, SocketOptionSet.None) => "none",
        (_, SocketOptionSet.ReuseAddress) => "REUSEADDR",
        (_, SocketOptionSet.ReusePort) => "REUSEPORT",
        (_, OptionChoices.Both) => "both",
        (_, SocketOptionSet.ExclusiveAddressUse) => "EXCLUSIVE",
        _ => options.ToLabel(),
    };

    private MatrixPanel Panel(string title, IReadOnlyList<PortSharingOutcome> cells, BindApi api)
    {
        var offered = OptionChoices.For(api, Plan.Os);
        var rows = offered.Where(o => cells.Any(c => c.Case.FirstOptions == o)).ToList();
        var columns = offered.Where(o => cells.Any(c => c.Case.SecondOptions == o)).ToList();
        var grid = rows.Select(r => (IReadOnlyList<MatrixCell?>)columns
            .Select(col => cells.FirstOrDefault(c => c.Case.FirstOptions == r && c.Case.SecondOptions == col) is { } o ? Cell(o) : null)
            .ToList()).ToList();
        var rowLabels = cells.All(c => c.Case.Holder == PortHolder.None)
            ? new[] { "(no first socket)" }
            : rows.Select(r => AxisLabel(r, api)).ToArray();
        return new MatrixPanel(title, rowLabels, columns.Select(c => AxisLabel(c, api)).ToList(), grid);
    }

    /// <summary>The chart cell of one outcome: colour by the step that decided it, errno on hover.</summary>
    public static MatrixCell Cell(PortSharingOutcome o)
    {
        var kind = o.Ok ? MatrixCellKind.Ok : o.BindOk ? MatrixCellKind.LaterStepFailed : MatrixCellKind.Failed;
        var text = o.Ok ? (o.TrafficSplit ? "ok, shared" : "ok") : o.Decisive.Error!.Name;
        var lines = new List<string>
        {
            $"<b>{Html.E(o.Case.Holder.ToLabel())}</b> ({Html.E(o.Case.Protocols.ToName())}, {Html.E(o.Case.ApiName)})",
            $"first: {Html.E(OptionChoices.ToLabel(o.Case.FirstOptions, o.Case.Api))} at {o.Case.FirstAddress}",
            $"second: {Html.E(OptionChoices.ToLabel(o.Case.SecondOptions, o.Case.Api))} at {o.Case.SecondAddress}",
        };
        if (o.HolderState is not null)
        {
            lines.Add($"holder state: {Html.E(o.HolderState)}");
        }
        lines.AddRange(o.SecondSteps.Select(s => Html.E(s.ToString())));
        lines.Add("second read back: " + Html.Readback(o.SecondReadback));
        if (o.FirstReadback is not null)
        {
            lines.Add("first read back: " + Html.Readback(o.FirstReadback));
        }
        foreach (var share in o.Shares)
        {
            lines.Add($"{(o.ShareKind == "accept" ? "accepted" : "received")} {Html.E(share.ToString())}");
        }
        return new MatrixCell(kind, text, string.Join("<br>", lines));
    }
}

/// <summary>A table of selected matrix outcomes, which also carries their cases for results.json.</summary>
/// <param name="Title">The table's caption.</param>
/// <param name="Scenario">The scenario id the cases are filed under.</param>
/// <param name="Outcomes">The outcomes to list.</param>
public sealed record PortSharingTable(string Title, string Scenario, IReadOnlyList<PortSharingOutcome> Outcomes) : MeasuredResult
{
    /// <summary>The listed outcomes as results.json records.</summary>
    public override IEnumerable<CaseRecord> Cases => Outcomes.Select(o => o.ToCase(Scenario));

    /// <summary>One row per outcome: holder, path, addresses, options, each step and the read-backs.</summary>
    public override string ToHtml()
    {
        var rows = Outcomes.Select(o => new[]
        {
            Html.E(o.Case.Holder.ToLabel()) + (o.HolderState is null ? "" : $"<br><small>{Html.E(o.HolderState)}</small>"),
            Html.E(o.Case.Api == BindApi.Native ? "native" : ".NET"),
            Html.E(o.Case.Protocols.ToName()),
            $"{Html.E(OptionChoices.ToLabel(o.Case.FirstOptions, o.Case.Api))}<br><small>{o.Case.FirstAddress}</small>",
            $"{Html.E(OptionChoices.ToLabel(o.Case.SecondOptions, o.Case.Api))}<br><small>{o.Case.SecondAddress}</small>",
            string.Join(" ", o.SecondSteps.Select(s => $"{Html.E(s.Step)} {Html.Badge(s.Outcome, s.Error is null ? "ok" : $"{s.Error.Name} ({s.Error.Number}): {s.Error.Description}")}")),
            Html.E(o.Decisive.Error?.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "—"),
            Html.Readback(o.SecondReadback),
            o.Shares.Count == 0 ? "—" : Html.E(string.Join("; ", o.Shares.Select(s => s.ToString()))),
        });
        return $"<div class=\"course-outcome\"><p><b>{Html.E(Title)}</b></p>" + Html.Table(
            new[] { "what holds the port", "path", "protocols", "first socket", "second socket", "second socket's steps", "errno", "second read back", "who got the traffic" },
            rows) + "</div>";
    }

    /// <summary>One outcome a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes.Select(o => o.ToString()));
}

/// <summary>Where the wildcard cases of a measurement ran, and how long their sockets were open (a measured fact the chapters show).</summary>
/// <param name="Cases">How many cases bound the wildcard address.</param>
/// <param name="InLab">How many of them ran inside the private network lab, where the wildcard covers only the lab's own lo.</param>
/// <param name="OnHost">How many ran on this machine's own wildcard address.</param>
/// <param name="LongestOnHost">The longest time the sockets of a host case were open, or null when none ran on the host.</param>
/// <param name="MedianOnHost">The median time the sockets of a host case were open, or null when none ran on the host.</param>
/// <param name="LabReason">Why the lab could not run here, when some cases ran on the host because of it.</param>
public sealed record WildcardPlacement(int Cases, int InLab, int OnHost, TimeSpan? LongestOnHost, TimeSpan? MedianOnHost, string? LabReason) : HtmlResult
{
    /// <summary>Counts the wildcard cases among the outcomes by where they ran.</summary>
    public static WildcardPlacement Of(IEnumerable<PortSharingOutcome> outcomes)
    {
        var wildcard = outcomes.Where(o => o.Case.Addresses.UsesWildcard()).ToList();
        var host = wildcard.Where(o => o.Namespace != PortSharingLab.LabNamespace).ToList();
        var open = host.Where(o => o.SocketsOpen is not null).Select(o => o.SocketsOpen!.Value).Order().ToList();
        var lab = Lab.NetworkLab.Availability;
        return new WildcardPlacement(
            wildcard.Count,
            wildcard.Count - host.Count,
            host.Count,
            open.Count == 0 ? null : open[^1],
            open.Count == 0 ? null : open[open.Count / 2],
            host.Count > 0 && !lab.Available ? lab.Reason : null);
    }

    /// <summary>One sentence: where the wildcard cases ran and, for those on the host, how long their sockets were open.</summary>
    public override string ToString()
    {
        if (Cases == 0)
        {
            return "No case bound the wildcard address.";
        }
        var lab = InLab == 0 ? "" : $"{InLab} of the {Cases} wildcard cases ran inside the private network lab, where the wildcard address covers only the lab's own lo, so none of them listened on this machine's addresses.";
        var host = OnHost == 0 ? "" :
            $"{OnHost} of the {Cases} wildcard cases bound this machine's own wildcard address, their sockets open {MedianOnHost?.TotalMilliseconds:0.0} ms (median) and at most {LongestOnHost?.TotalMilliseconds:0.0} ms, " +
            "serving no peer outside loopback" + (LabReason is null ? "." : $"; the private network lab is not available here: {LabReason}.");
        return string.Join(" ", new[] { lab, host }.Where(t => t.Length > 0));
    }

    /// <summary>The sentence as an HTML paragraph.</summary>
    public override string ToHtml() => $"<div class=\"course-outcome\"><p>{Html.E(ToString())}</p></div>";
}
