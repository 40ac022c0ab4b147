using Course.Runner.Cli;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Cli;

public sealed class RunOptionsTests
{
    [Fact]
    public void Parse_EveryOption_IsRead()
    {
        var options = RunOptions.Parse(["--chapter", "01", "--chapter=03,04", "--param", "rounds=3", "--param", "host=\"a\"",
            "--cell-timeout", "12.5", "--notebooks", "nb", "--out", "o", "--images", "i"]);

        Assert.Equal(["01", "03", "04"], options.Chapters);
        Assert.Equal("3", options.Parameters["rounds"]);
        Assert.Equal("\"a\"", options.Parameters["host"]);
        Assert.Equal(TimeSpan.FromSeconds(12.5), options.CellTimeout);
        Assert.Equal(("nb", "o", "i"), (options.NotebooksFolder, options.OutFolder, options.ImagesFolder));
    }

    [Fact]
    public void Parse_NothingGiven_UsesDefaults()
    {
        var options = RunOptions.Parse([]);

        Assert.Empty(options.Chapters);
        Assert.Empty(options.Parameters);
        Assert.Equal(TimeSpan.FromSeconds(300), options.CellTimeout);
        Assert.Null(options.NotebooksFolder);
    }

    [Fact]
    public void Parse_Quick_MeansParamQuickTrue_ButAnExplicitParamWins()
    {
        Assert.Equal("true", RunOptions.Parse(["--quick"]).Parameters["quick"]);
        Assert.Equal("false", RunOptions.Parse(["--param", "quick=false", "--quick"]).Parameters["quick"]);
    }

    [Theory]
    [InlineData("--verbose")]
    [InlineData("stray")]
    [InlineData("--cell-timeout", "0")]
    [InlineData("--cell-timeout", "soon")]
    [InlineData("--param", "novalue")]
    [InlineData("--param", "x=1 +")]
    [InlineData("--chapter")]
    [InlineData("--out", "--quick")]
    [InlineData("--cell-timeout", "NaN")]
    [InlineData("--cell-timeout", "1e9")]
    [InlineData("--cell-timeout", "5000000")]
    [InlineData("--cell-timeout", " 5")]
    public void Parse_BadArguments_ThrowUsageException(params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => RunOptions.Parse(args));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(",")]
    [InlineData("01,")]
    public void Parse_EmptyChapter_IsAnErrorNotEveryChapter(string selector)
    {
        var error = Assert.Throws<UsageException>(() => RunOptions.Parse(["--chapter", selector]));

        Assert.Contains("names no chapter", error.Message);
        Assert.Contains("leave --chapter out to run every chapter", error.Message);
    }
}
