using Course.Runner.Cli;
using Course.Runner.Notebooks;
using Course.Runner.Pipeline;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Notebooks;

public sealed class ProseLintTests
{
    private const string Verdict = "text.Check(\"observe-restart\", \"A restart with no options fails with EADDRINUSE.\", outcome, c => c.Outcome == \"EADDRINUSE\")";

    private static InteractiveDocument Chapter(string markdown, string? code = Verdict)
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown(markdown, "text"));
        if (code is not null)
        {
            notebook.AddCell(NotebookCells.Code(code, "verdict"));
        }

        return notebook;
    }

    [Fact]
    public void Check_OutcomeSentenceWithoutBinding_IsUnboundAndSaysHowToFix()
    {
        var report = ProseLint.Check(Chapter("**Observe:** the restart fails with `EADDRINUSE`."));

        var unbound = Assert.Single(report.Unbound);
        Assert.Equal("**Observe:** the restart fails with `EADDRINUSE`.", unbound.Text);
        Assert.Contains("cell 1 (id text) line 1", unbound.Location);
        Assert.Contains("[✓](#verdict-ID)", unbound.ToString());
        Assert.Contains("not measured here", unbound.ToString());
    }

    [Theory]
    [InlineData("On Linux TIME_WAIT always lasts 60 s.")]
    [InlineData("With `SO_REUSEADDR` on both, the bind succeeds.")]
    [InlineData("`tcp_tw_reuse` never helps a server.")]
    [InlineData("Windows refuses the second bind.")]
    [InlineData("A FIN_WAIT_2 orphan lives `tcp_fin_timeout` seconds.")]
    public void NeedsBinding_SubjectBesideOutcomeWord_IsTrue(string sentence) => Assert.True(ProseLint.NeedsBinding(sentence));

    [Theory]
    [InlineData("**Predict:** will the new server's `bind()` succeed?")]
    [InlineData("The next cell reads the settings.")]
    [InlineData("Chapter 05 measures that rule case by case.")]
    [InlineData("See [the rule](https://example.org/tcp_tw_reuse-fails).")]
    public void NeedsBinding_QuestionOrNoOutcome_IsFalse(string sentence) => Assert.False(ProseLint.NeedsBinding(sentence));

    [Fact]
    public void Check_VerdictLinkToAVerdictOfTheChapter_IsMeasured()
    {
        var report = ProseLint.Check(Chapter("**Observe:** the restart fails with `EADDRINUSE`. [✓](#verdict-observe-restart)"));

        Assert.Empty(report.Unbound);
        Assert.Equal(1, report.Measured);
    }

    [Fact]
    public void Check_VerdictLinkToAMissingVerdict_IsUnboundAndNamesTheId()
    {
        var report = ProseLint.Check(Chapter("The restart fails with `EADDRINUSE`. [✓](#verdict-no-such-paragraph)"));

        var unbound = Assert.Single(report.Unbound);
        Assert.Contains("'no-such-paragraph'", unbound.Problem);
    }

    [Fact]
    public void Check_VerdictInAnotherChapterOnly_DoesNotBind()
    {
        var report = ProseLint.Check(Chapter("The restart fails with `EADDRINUSE`. [✓](#verdict-observe-restart)", code: "1 + 1"));

        Assert.Single(report.Unbound);
    }

    [Theory]
    [InlineData("An entry ends early on a new SYN ([tcp_timewait_state_process, net/ipv4/tcp_minisocks.c](https://elixir.bootlin.com/linux/latest/source/net/ipv4/tcp_minisocks.c)).")]
    [InlineData("TIME_WAIT lasts 2 × MSL ([RFC 9293 §3.6](https://www.rfc-editor.org/rfc/rfc9293#section-3.6)).")]
    [InlineData("On Windows `SO_EXCLUSIVEADDRUSE` refuses every other bind ([Microsoft](https://learn.microsoft.com/en-us/windows/win32/winsock/using-so-reuseaddr-and-so-exclusiveaddruse)).")]
    public void Check_LinkToASource_IsCited(string sentence)
    {
        var report = ProseLint.Check(Chapter(sentence, code: null));

        Assert.Empty(report.Unbound);
        Assert.Equal(1, report.Cited);
    }

    [Fact]
    public void Check_VerdictLinkAndSourceLink_CountsAsMeasuredAndCited()
    {
        var report = ProseLint.Check(Chapter(
            "The bind fails: the kernel compares every socket on the port ([inet_csk_bind_conflict](https://elixir.bootlin.com/linux/latest/source/net/ipv4/inet_connection_sock.c)). [✓](#verdict-observe-restart)\n" +
            "The restart fails with `EADDRINUSE`. [✓](#verdict-observe-restart)\n" +
            "TIME_WAIT lasts 2 × MSL ([RFC 9293 §3.6](https://www.rfc-editor.org/rfc/rfc9293#section-3.6))."));

        Assert.Empty(report.Unbound);
        Assert.Equal(2, report.Measured);
        Assert.Equal(2, report.Cited);
        Assert.Contains("2 cited to a source", NavigationCell.AccountabilityLine(report));
        Assert.Contains("show ○ where it was not measured and ✘ where it did not hold", NavigationCell.AccountabilityLine(report));
    }

    [Fact]
    public void Check_LinkToSomewhereElse_IsNoCitation()
    {
        var report = ProseLint.Check(Chapter("TIME_WAIT always lasts 60 s ([a blog](https://example.org/time-wait)).", code: null));

        Assert.Single(report.Unbound);
    }

    [Fact]
    public void Check_NotMeasuredHere_IsAccepted()
    {
        var report = ProseLint.Check(Chapter("On macOS TIME_WAIT lasts 30 s, not measured here.", code: null));

        Assert.Empty(report.Unbound);
        Assert.Equal(1, report.NotMeasured);
    }

    [Fact]
    public void Check_BlockquoteHeadingFenceAndNavigation_AreNotTheCoursesClaims()
    {
        var notebook = Chapter("""
            # TIME_WAIT always lasts 60 s
            > every copy must set `SO_REUSEADDR`, or the second `bind()` fails.
            ```
            bind() fails with EADDRINUSE
            ```
            """, code: null);
        NavigationCell.Apply(notebook, "Next: TIME_WAIT always lasts 60 s.");

        Assert.Empty(ProseLint.Check(notebook).Sentences);
    }

    [Fact]
    public void SentencesOf_TwoSentencesOnALineAndABindingAfterTheStop_SplitsAndKeepsTheBinding()
    {
        var sentences = ProseLint.SentencesOf("The bind fails. [✓](#verdict-x) The port is free again.").Select(s => s.Sentence).ToList();

        Assert.Equal(new[] { "The bind fails. [✓](#verdict-x)", "The port is free again." }, sentences);
    }

    [Fact]
    public async Task Lint_UnboundSentence_ExitsOneAndPrintsTheCounts()
    {
        using var temp = new TempDirectory();
        NotebookWriter.WriteFile(Chapter("The restart fails with `EADDRINUSE`. [✓](#verdict-observe-restart)\nTIME_WAIT always lasts 60 s."),
            Path.Combine(temp.Path, "01-x.ipynb"));
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["lint", "--notebooks", temp.Path], new CommandContext(output, error, temp.Path, CancellationToken.None));

        Assert.Equal(1, code);
        Assert.Contains("01-x: sentences: 1 measured, 0 cited, 0 not measured here, 1 unbound", output.ToString());
        Assert.Contains("TIME_WAIT always lasts 60 s.", error.ToString());
    }

    [Fact]
    public void Course_EveryChapter_HasNoUnboundOutcomeSentence()
    {
        var folder = RepositoryLayout.NotebooksFolder(RepositoryLayout.RequireRoot(AppContext.BaseDirectory));

        var unbound = ChapterCatalog.Discover(folder)
            .SelectMany(chapter => ProseLint.Check(NotebookReader.ReadFile(chapter.Path)).Unbound.Select(s => $"{chapter.Name}: {s}"))
            .ToList();

        Assert.True(unbound.Count == 0, $"{unbound.Count} unbound outcome sentence(s); run `dotnet run --project lib/Course.Runner -- lint`:\n{string.Join("\n", unbound)}");
    }
}
