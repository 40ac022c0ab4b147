using System.Text.Json.Nodes;
using Course.Runner.Notebooks;

namespace Course.Runner.Tests.Notebooks;

public sealed class MetadataTests
{
    [Fact]
    public void Find_PathThroughDictionariesOrJsonNodes_ReadsTheValueAsTheDocumentsApiDoes()
    {
        var metadata = new Dictionary<string, object>
        {
            ["jupyter"] = new Dictionary<string, object> { ["source_hidden"] = true },
            ["course"] = JsonNode.Parse("{\"minutes\": 25, \"nav\": true}")!,
        };

        Assert.True(Metadata.IsTrue(metadata, "jupyter", "source_hidden"));
        Assert.Equal(25.0, Metadata.Find(metadata, "course", "minutes"));
        Assert.True(Metadata.IsTrue(metadata, "course", "nav"));
        Assert.Null(Metadata.Find(metadata, "jupyter", "source_hidden", "deeper"));
        Assert.Null(Metadata.Find(null, "jupyter"));
        Assert.False(Metadata.IsTrue(metadata, "missing"));
    }

    [Fact]
    public void Child_ValueThatIsNotADictionary_IsReplacedByAnEmptyOne()
    {
        var metadata = new Dictionary<string, object> { ["jupyter"] = "text", ["kept"] = 1.0 };

        Metadata.Child(metadata, "jupyter")["source_hidden"] = true;

        Assert.True(Metadata.IsTrue(metadata, "jupyter", "source_hidden"));
        Assert.Equal(1.0, metadata["kept"]);
    }

    [Fact]
    public void FromJson_EveryKindOfValue_BecomesDictionariesArraysDoublesStringsAndBooleans()
    {
        var value = Metadata.FromJson(JsonNode.Parse("{\"a\": [1, \"s\", true, false, null, {\"b\": 2.5}]}"));

        var array = Assert.IsType<object?[]>(Assert.IsAssignableFrom<IDictionary<string, object>>(value)["a"]);
        Assert.Equal(new object?[] { 1.0, "s", true, false, null }, array.Take(5));
        Assert.Equal(2.5, Metadata.Find(Assert.IsAssignableFrom<IDictionary<string, object>>(array[5]), "b"));
    }
}
