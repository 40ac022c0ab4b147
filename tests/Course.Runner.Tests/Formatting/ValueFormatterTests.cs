using Course.Runner.Formatting;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Formatting.Conventions;

namespace Course.Runner.Tests.Formatting;

public sealed class ValueFormatterTests
{
    [Fact]
    public void Format_Null_IsTheNullText()
    {
        var bundle = ValueFormatter.Format(null);

        Assert.Equal(["text/plain"], bundle.MimeTypes);
        Assert.True(bundle.TryGetText("text/plain", out var text));
        Assert.Equal("<null>", text);
    }

    [Fact]
    public void Format_String_IsPlainTextOnly()
    {
        var bundle = ValueFormatter.Format("hi <there>");

        Assert.Equal(["text/plain"], bundle.MimeTypes);
        Assert.True(bundle.TryGetText("text/plain", out var text));
        Assert.Equal("hi <there>", text);
    }

    [Fact]
    public void Format_Double_UsesInvariantCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.True(ValueFormatter.Format(1.5).TryGetText("text/plain", out var text));
            Assert.Equal("1.5", text);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Format_ListOfNumbers_IsABracketedList()
    {
        Assert.True(ValueFormatter.Format(new List<int> { 1, 2, 3 }).TryGetText("text/plain", out var text));

        Assert.Equal("[ 1, 2, 3 ]", text);
    }

    [Fact]
    public void Format_ListOfRecords_AddsAnHtmlTable()
    {
        var bundle = ValueFormatter.Format(new[] { new Row("a", 1), new Row("b<", 2) });

        Assert.True(bundle.TryGetText("text/html", out var html));
        Assert.Contains("<th>Name</th><th>Count</th>", html);
        Assert.Contains("<td>b&lt;</td><td>2</td>", html);
        Assert.True(bundle.Contains("text/plain"));
    }

    [Fact]
    public void Format_HtmlContent_IsTextHtml()
    {
        var bundle = ValueFormatter.Format(new HtmlContent("<b>x</b>"));

        Assert.True(bundle.TryGetText("text/html", out var html));
        Assert.Equal("<b>x</b>", html);
    }

    [Fact]
    public void Format_AttributeWithoutPreference_DefaultsToHtmlPlusPlainText()
    {
        var bundle = ValueFormatter.Format(new HtmlOnly());

        Assert.Equal(["text/html", "text/plain"], bundle.MimeTypes);
        Assert.True(bundle.TryGetText("text/html", out var html));
        Assert.Equal("<i>html only</i>", html);
        Assert.True(bundle.TryGetText("text/plain", out var plain));
        Assert.Equal("plain from ToString", plain);
    }

    [Fact]
    public void Format_SubclassOfAttributedBase_UsesTheBaseFormatters_AndTypeFilter()
    {
        var derived = ValueFormatter.Format(new DerivedValue());
        var plainBase = ValueFormatter.Format(new BaseValue());

        Assert.True(derived.TryGetText("text/html", out var html));
        Assert.Equal("<p>derived</p>", html);
        // The html formatter's Type is DerivedValue, so a plain BaseValue gets no html.
        Assert.False(plainBase.Contains("text/html"));
        Assert.True(plainBase.Contains("application/json"));
    }

    [Fact]
    public void Format_JsonMimeType_IsStoredAsJson()
    {
        var bundle = ValueFormatter.Format(new BaseValue());

        Assert.True(bundle.TryGetJson("application/json", out var json));
        Assert.Equal(7, (int?)json!["n"]);
    }

    [Fact]
    public void Format_FormatterThatDeclines_LeavesThatMimeTypeOut()
    {
        var bundle = ValueFormatter.Format(new Declined());

        Assert.Equal(["text/plain"], bundle.MimeTypes);
    }

    [Fact]
    public void Format_FormatterWritingInvalidJson_ThrowsNamingFormatterAndFix()
    {
        var error = Assert.Throws<FormattingException>(() => ValueFormatter.Format(new BadJson()));

        Assert.Contains("application/vnd.test+json", error.Message);
        Assert.Contains(typeof(BadJsonFormatters).FullName!, error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [Fact]
    public void Format_FormatterThatThrows_ThrowsNamingTheSource()
    {
        var error = Assert.Throws<FormattingException>(() => ValueFormatter.Format(new Throwing()));

        Assert.Contains("threw InvalidOperationException", error.Message);
        Assert.Contains("formatter broke", error.Message);
    }

    [Fact]
    public void Format_SourceWithoutCreateTypeFormatters_ExplainsTheConvention()
    {
        var error = Assert.Throws<FormattingException>(() => ValueFormatter.Format(new NoFactory()));

        Assert.Contains("CreateTypeFormatters", error.Message);
    }

    [Fact]
    public void Format_RequestedMimeTypeWithoutFormatter_Throws()
    {
        var error = Assert.Throws<FormattingException>(() => ValueFormatter.Format(42, ["image/png"]));

        Assert.Contains("image/png", error.Message);
    }

    private sealed record Row(string Name, int Count);
}
