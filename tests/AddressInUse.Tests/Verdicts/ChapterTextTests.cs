using System.Text.Json.Nodes;
using AddressInUse.Display;
using AddressInUse.Cases;
using AddressInUse.Verdicts;

namespace AddressInUse.Tests.Verdicts;

public sealed class ChapterTextTests : IDisposable
{
    private readonly string _images = Directory.CreateTempSubdirectory("verdicts-").FullName;

    public void Dispose() => Directory.Delete(_images, recursive: true);

    private static CaseRecord Case(string name, string outcome, int? errno = null) =>
        new("A1", name, "native", "tcp", "fin_wait_2", new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), "bind", outcome, errno);

    [Fact]
    public void Check_EveryCaseMeetsTheCondition_HoldsAndNamesItsEvidence()
    {
        var text = new ChapterText("01", _images, "linux");

        var verdict = text.Check("observe-1", "The restart fails with EADDRINUSE.", Case("no-options", "EADDRINUSE", 98), c => c.Outcome == "EADDRINUSE");

        Assert.Equal(TextVerdictKind.Holds, verdict.Kind);
        Assert.Equal("01/observe-1", verdict.Id);
        Assert.Equal(["A1/no-options/native"], verdict.Evidence);
        Assert.StartsWith("✔ holds on this machine (linux)", verdict.Line);
        Assert.Contains("EADDRINUSE (98)", verdict.Line);
    }

    [Fact]
    public void Check_CaseWithMeasuredCounts_LineShowsThePlainValuesButNotThePortOrNestedObjects()
    {
        var text = new ChapterText("09", _images, "linux");
        var measured = Case("server-closes-first", "ok") with
        {
            Details = new JsonObject { ["port"] = 40001, ["server_time_wait"] = 100, ["peer_saw"] = "EOF", ["steps"] = new JsonObject { ["bind"] = "ok" } },
        };

        var verdict = text.Check("observe", "Every connection leaves TIME_WAIT.", measured, _ => true);

        Assert.EndsWith("bind ok [server_time_wait 100; peer_saw EOF]", verdict.Line);
    }

    [Fact]
    public void Check_CheckReadsNestedFields_LineShowsTheSentenceAndOnlyTheFieldsTheCheckRead()
    {
        var text = new ChapterText("02", _images, "linux");
        var measured = Case("captured-client-closes-first", "ok") with
        {
            Details = new JsonObject
            {
                ["port"] = 40001, ["runs"] = 10, ["unrelated"] = 5,
                ["packets"] = new JsonObject { ["capture_complete"] = true, ["segments"] = 7, ["arrows"] = new JsonArray("client>server FIN", "server>client ACK") },
            },
        };

        var verdict = text.Check("observe-packets-complete", "The capture kept every segment.", measured,
            c => c.Details!["packets"]!["capture_complete"]!.GetValue<bool>() && c.Details!["runs"]!.GetValue<int>() == 10);

        Assert.StartsWith("✔ holds on this machine (linux): \"The capture kept every segment.\" — measured ", verdict.Line);
        Assert.EndsWith("[runs 10; packets.capture_complete true]", verdict.Line);
        Assert.DoesNotContain("unrelated", verdict.Line);
        Assert.DoesNotContain("segments", verdict.Line);
    }

    [Fact]
    public void Check_CheckReadsAnObjectAsAWhole_LineShowsItsFieldsAsText()
    {
        var text = new ChapterText("02", _images, "linux");
        var states = new JsonObject { ["client"] = "FIN_WAIT_1 > CLOSING", ["server"] = "FIN_WAIT_1 > CLOSING" };
        var measured = Case("captured", "ok") with { Details = new JsonObject { ["states"] = states } };

        // Either end alone decides it, so the check reads the object as a whole.
        var verdict = text.Check("observe-closing", "At least one end passed CLOSING.", measured,
            c => $"{c.Details!["states"]!["client"]}".Contains("CLOSING") || $"{c.Details!["states"]!["server"]}".Contains("CLOSING"));

        Assert.EndsWith("[states {client FIN_WAIT_1 > CLOSING; server FIN_WAIT_1 > CLOSING}]", verdict.Line);
    }

    [Fact]
    public void CheckAll_CheckReadsAnArray_LineShowsItsItemsCutToOneLine()
    {
        var text = new ChapterText("02", _images, "linux");
        var arrows = new JsonArray(Enumerable.Range(1, 60).Select(i => (JsonNode?)JsonValue.Create($"client>server ACK {i}")).ToArray());
        var measured = Case("captured", "ok") with { Details = new JsonObject { ["arrows"] = arrows, ["other"] = 1 } };

        var verdict = text.CheckAll("observe-arrows", "Every segment is an ACK.", measured, cs => cs.All(c => c.Details!["arrows"]!.AsArray().All(a => $"{a}".Contains("ACK"))));

        Assert.Contains("[arrows client>server ACK 1, client>server ACK 2, ", verdict.Line);
        Assert.Contains("…", verdict.Line);
        Assert.DoesNotContain("ACK 60", verdict.Line);
        Assert.DoesNotContain("other", verdict.Line);
    }

    [Fact]
    public void Check_OneCaseContradicts_DoesNotHoldAndNamesOnlyThatCase()
    {
        var text = new ChapterText("05", _images, "linux");
        var cases = new[] { Case("a", "EADDRINUSE", 98), Case("b", "ok"), Case("c", "EADDRINUSE", 98) };

        var verdict = text.Check("explain", "Every restart fails.", cases, c => c.Outcome != "ok");

        Assert.Equal(TextVerdictKind.DoesNotHold, verdict.Kind);
        Assert.Equal("✘ does not hold here (linux): \"Every restart fails.\" — measured A1 b (native): bind ok", verdict.Line);
    }

    [Fact]
    public void Check_AboutAnotherOsWithoutItsResults_IsNotMeasured()
    {
        var verdict = new ChapterText("01", _images, "linux")
            .Check("observe-macos", "On macOS the errno is 48.", Case("no-options", "EADDRINUSE", 98), c => c.Errno == 48, about: "macos");

        Assert.Equal(TextVerdictKind.NotMeasured, verdict.Kind);
        Assert.StartsWith("○ not measured on this OS", verdict.Line);
        Assert.Contains("images/macos/results.json", verdict.Measured);
    }

    [Fact]
    public void Check_AboutAnotherOsWithItsResults_IsJudgedOnThatOsCases()
    {
        WriteResults("macos", Case("no-options", "EADDRINUSE", 48), Case("unrelated", "ok"));

        var verdict = new ChapterText("01", _images, "linux")
            .Check("observe-macos", "On macOS the errno is 48.", Case("no-options", "EADDRINUSE", 98), c => c.Errno == 48, about: "macos");

        Assert.Equal(TextVerdictKind.Holds, verdict.Kind);
        Assert.Equal("macos", verdict.MeasuredOn);
        Assert.Equal(["A1/no-options/native"], verdict.Evidence);
    }

    [Fact]
    public void Check_AboutWindowsRunUnderWine_IsNotJudgedFromWineCases()
    {
        WriteResults("wine", Case("no-options", "EADDRINUSE", 10048));

        var verdict = new ChapterText("01", _images, "wine")
            .Check("observe-windows", "On Windows the error is 10048.", Case("no-options", "EADDRINUSE", 10048), c => c.Errno == 10048, about: "windows");

        Assert.Equal(TextVerdictKind.NotMeasured, verdict.Kind);
    }

    [Fact]
    public void CheckAll_NoCases_IsNotMeasuredNotHolds()
    {
        var verdict = new ChapterText("02", _images, "linux").CheckAll("x", "Nothing.", Array.Empty<CaseRecord>(), cs => true);

        Assert.Equal(TextVerdictKind.NotMeasured, verdict.Kind);
    }

    [Fact]
    public void NotMeasuredHere_CasesThatCannotDecide_IsNotMeasuredWithTheReason()
    {
        var verdict = new ChapterText("13", _images, "linux").NotMeasuredHere("observe-x", "A client reaches the first family.", Case("client", "ok"), "localhost resolved to 127.0.0.1 only");

        Assert.Equal(TextVerdictKind.NotMeasured, verdict.Kind);
        Assert.Equal(["A1/client/native"], verdict.Evidence);
        Assert.Contains("not measured here: localhost resolved to 127.0.0.1 only", verdict.Line);
        Assert.StartsWith("○ not measured in this run: ", verdict.Line);
        Assert.Equal(NotMeasuredCause.ThisRun, verdict.Cause);
    }

    [Fact]
    public void Check_AboutAnotherOsWithoutItsResults_LabelSaysThisOsNotThisRun()
    {
        var verdict = new ChapterText("01", _images, "linux")
            .Check("observe-windows", "On Windows the error is 10048.", Case("no-options", "EADDRINUSE", 98), c => c.Errno == 10048, about: "windows");

        Assert.Equal(NotMeasuredCause.OtherOs, verdict.Cause);
        Assert.StartsWith("○ not measured on this OS: ", verdict.Line);
        Assert.DoesNotContain("in this run", verdict.Line);
    }

    private static CaseRecord Rounds(string name, string firstCloser, int server, int client) => Case(name, "ok") with
    {
        Details = new JsonObject
        {
            ["first_closer"] = firstCloser, ["runs"] = 10, ["time_wait_on_server"] = server, ["time_wait_on_client"] = client, ["time_wait_on_both"] = 0,
            ["a_long_note_the_check_reads_last"] = string.Join(" ", Enumerable.Repeat("words", 20)),
        },
    };

    [Fact]
    public void Check_LongRecord_LineIsCutAtAFieldBoundaryAndNeverInsideANumber()
    {
        var text = new ChapterText("02", _images, "linux");
        var cases = new[] { Rounds("server-closes-first", "server", 10, 0), Rounds("client-closes-first", "client", 0, 10) };

        var verdict = text.Check("explain-first-closer-waits", "The first closer waits in every round.", cases,
            c => c.Details!["runs"]!.GetValue<int>() == c.Details![c.Details!["first_closer"]!.GetValue<string>() == "server" ? "time_wait_on_server" : "time_wait_on_client"]!.GetValue<int>()
                 && c.Details!["time_wait_on_both"]!.GetValue<int>() == 0 && c.Details!["a_long_note_the_check_reads_last"] is not null);

        Assert.Equal(TextVerdictKind.Holds, verdict.Kind);
        Assert.True(verdict.Line.Length <= verdict.Line.IndexOf(" — measured ", StringComparison.Ordinal) + " — measured ".Length + TextVerdict.MeasuredInLine, verdict.Line);
        // Every number shown is whole: the client's count is 0 in the first round and 10 in the second, never "1".
        Assert.All(System.Text.RegularExpressions.Regex.Matches(verdict.Line, @"time_wait_on_(server|client) (\d+)"), m => Assert.Contains(m.Groups[2].Value, new[] { "0", "10" }));
        Assert.Contains("runs 10;", verdict.Line);
        Assert.DoesNotContain("words", verdict.Line);
        Assert.DoesNotMatch(@"\d…", verdict.Line);
        Assert.Matches(@"; \+\d+ more fields?\]", verdict.Line);
        // The full measurement keeps every field whole.
        Assert.Contains(string.Join(" ", Enumerable.Repeat("words", 20)), verdict.Measured);
    }

    [Fact]
    public void Check_ReadsFieldsLateInTheRecord_LineShowsThemAndNotTheOthers()
    {
        var text = new ChapterText("02", _images, "linux");
        var details = new JsonObject();
        foreach (var i in Enumerable.Range(1, 30))
        {
            details[$"field_{i:00}"] = 1000 + i;
        }
        var measured = Case("many", "ok") with { Details = details };

        var verdict = text.Check("observe-late", "The last field is 1030.", measured, c => c.Details!["field_30"]!.GetValue<int>() == 1030);

        Assert.EndsWith("bind ok [field_30 1030]", verdict.Line);
    }

    [Fact]
    public void Check_ReadsOneArrowOfALongList_LineShowsThatArrowNotTheHandshake()
    {
        var text = new ChapterText("09", _images, "linux");
        var arrows = new[] { "client>server SYN", "server>client SYN,ACK", "client>server ACK", "client>server PSH,ACK len=10", "server>client ACK",
            "client>server PSH,ACK len=10", "server>client ACK", "client>server PSH,ACK len=10", "server>client ACK", "client>server PSH,ACK len=10",
            "server>client ACK", "client>server RST,ACK", "server>client RST" };
        var measured = Case("captured-linger-zero", "ok") with
        {
            Details = new JsonObject { ["packets"] = new JsonObject { ["arrows"] = new JsonArray(arrows.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()) } },
        };

        var verdict = text.Check("observe-packets-rst", "The client sends a RST.", measured,
            c => c.Details!["packets"]!["arrows"]!.AsArray().Any(a => $"{a}" == "client>server RST,ACK"));

        Assert.Contains("[packets.arrows … client>server RST,ACK … (1 of 13 read)]", verdict.Line);
        Assert.DoesNotContain("SYN", verdict.Line);
    }

    [Fact]
    public void Check_ValueWithoutCases_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => new ChapterText("01", _images, "linux").Check("x", "y", "a string", c => true));

        Assert.Contains("carries no measured cases", e.Message);
    }

    [Fact]
    public void Formatters_Verdict_WriteHtmlLineAndVerdictJson()
    {
        var verdict = new ChapterText("01", _images, "linux").Check("p", "s", Case("n", "ok"), c => c.Outcome == "ok");
        var formatters = new CourseFormatterSource().CreateTypeFormatters().Cast<CourseFormatter>().ToList();

        string Format(string mime)
        {
            var writer = new StringWriter();
            Assert.True(formatters.Single(f => f.MimeType == mime).Format(verdict, writer));
            return writer.ToString();
        }

        Assert.Contains("course-verdict verdict-holds", Format(MimeTypes.Html));
        var json = JsonNode.Parse(Format(MimeTypes.Verdicts))!;
        Assert.Equal("01/p", (string?)json["id"]);
        Assert.Equal("holds", (string?)json["verdict"]);
        Assert.Equal("A1/n/native", (string?)json["evidence"]![0]);
        Assert.Equal("01", (string?)json["chapter"]);
    }

    private void WriteResults(string os, params CaseRecord[] cases)
    {
        Directory.CreateDirectory(Path.Combine(_images, os));
        var doc = new JsonObject { ["cases"] = JsonNode.Parse(CaseRecord.ToJsonArray(cases)) };
        File.WriteAllText(Path.Combine(_images, os, "results.json"), doc.ToJsonString());
    }
}
