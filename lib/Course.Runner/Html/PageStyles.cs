namespace Course.Runner.Html;

/// <summary>The small stylesheet shared by chapter pages and the index, inlined so pages stay self-contained.</summary>
public static class PageStyles
{
    /// <summary>The CSS text.</summary>
    public const string Css = """
        :root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --border: #d0d7de; --code-bg: #f6f8fa; --accent: #0969da; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--fg); background: #fff; font: 16px/1.6 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main, nav.chapter-nav, header.page-header, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
        nav.chapter-nav { display: flex; justify-content: space-between; gap: 1rem; padding-top: .75rem; padding-bottom: .75rem; font-size: .95rem; }
        nav.chapter-nav.bottom { border-top: 1px solid var(--border); margin-top: 2rem; }
        nav.chapter-nav .spacer { flex: 1; }
        a { color: var(--accent); }
        h1, h2, h3 { line-height: 1.25; }
        table { border-collapse: collapse; margin: .75rem 0; }
        th, td { border: 1px solid var(--border); padding: .3rem .6rem; text-align: left; vertical-align: top; }
        pre { background: var(--code-bg); padding: .75rem; overflow-x: auto; border-radius: 6px; font-size: .875rem; line-height: 1.45; }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        :not(pre) > code { background: var(--code-bg); padding: .1em .3em; border-radius: 4px; font-size: .9em; }
        .cell { margin: 1rem 0; }
        .cell.code .source { position: relative; }
        .cell.code .source pre { border-left: 3px solid var(--accent); margin-bottom: .25rem; }
        .prompt { color: var(--muted); font: .75rem ui-monospace, monospace; }
        .cell.source-hidden details.source > summary { color: var(--muted); font-size: .8rem; cursor: pointer; }
        .cell.source-hidden details.source[open] pre { border-left: 3px solid var(--accent); }
        .outputs { margin-left: .25rem; }
        .output { margin: .35rem 0; overflow-x: auto; }
        .output pre { background: #fff; border: 1px solid var(--border); }
        .output pre.stderr { background: #fff8e6; border-color: #e3b341; }
        .output.error { border: 1px solid #cf222e; border-left-width: 4px; background: #fff5f5; border-radius: 6px; padding: .5rem .75rem; }
        .output.error pre { background: transparent; border: 0; padding: 0; color: #82071e; }
        .run-failed { border: 1px solid #cf222e; background: #fff5f5; padding: .75rem 1rem; border-radius: 6px; margin: 1rem 0; }
        .plotly-chart { width: 100%; min-height: 420px; }
        .notice { color: var(--muted); font-style: italic; }
        ul.chapters { list-style: none; padding: 0; }
        ul.chapters li { padding: .5rem 0; border-bottom: 1px solid var(--border); display: flex; gap: 1rem; align-items: baseline; }
        table.chapters { width: 100%; }
        table.chapters td.objectives ul { margin: 0; padding-left: 1.1rem; }
        table.chapters td.duration { white-space: nowrap; }
        table.compare td.differs { background: #fff8c5; font-weight: 600; }
        table.compare th.emulation, table.compare td.emulation { border-left: 3px double #8c959f; background: #f6f8fa; color: #57606a; font-style: italic; }
        table.compare td.missing { color: var(--muted); font-style: italic; }
        table.compare td.verdict.holds { color: #1b5e20; }
        table.compare td.verdict.does-not-hold { color: #b71c1c; font-weight: 600; }
        table.compare td.verdict.not-measured { color: var(--muted); font-style: italic; }
        .course-verdict { font-size: 13px; }
        a.verdict-mark { text-decoration: none; font-weight: 600; }
        a.verdict-mark.holds { color: #1b5e20; }
        a.verdict-mark.does-not-hold { color: #b71c1c; }
        a.verdict-mark.not-measured { color: #555; }
        .status { font: .75rem ui-monospace, monospace; padding: .1rem .5rem; border-radius: 1rem; color: #fff; background: #656d76; }
        .status.ok { background: #1a7f37; }
        .status.failed { background: #cf222e; }
        .status.not-measured { background: #f3f3f3; color: #555; }
        footer { color: var(--muted); font-size: .8rem; padding-bottom: 2rem; }
        img, svg { max-width: 100%; height: auto; }
        """;
}
