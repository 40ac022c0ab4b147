using System.Text.Json.Nodes;
using AddressInUse.Cases;

namespace AddressInUse.Tests.Cases;

/// <summary>The shape every chapter's cases take in images/&lt;os&gt;/results.json.</summary>
public sealed class CaseRecordTests
{
    private static readonly SocketSide Side = new("127.0.0.1", "tcp", ["SO_REUSEADDR"]);

    [Fact]
    public void ToJsonArray_ACase_SnakeCaseNamesAndNullsLeftOut()
    {
        var record = new CaseRecord("A1", "restart", "native", "tcp", "time_wait", Side, Side, "bind", "EADDRINUSE", 98);

        var json = JsonNode.Parse(CaseRecord.ToJsonArray([record]))!.AsArray().Single()!.AsObject();

        Assert.Equal(["scenario", "case", "api", "protocol", "holder", "first", "second", "step", "outcome", "errno"], json.Select(p => p.Key));
        Assert.Equal("EADDRINUSE", (string?)json["outcome"]);
        Assert.Equal(98, (int?)json["errno"]);
        Assert.Equal(["SO_REUSEADDR"], json["first"]!["options"]!.AsArray().Select(o => (string?)o));
    }

    [Fact]
    public void ToJsonArray_ReadbackSettingsAndDetails_Kept()
    {
        var record = new CaseRecord("E3", "reuse", "native", "tcp", "none", Side, Side, "connect", "ok", null)
        {
            Readback = new Dictionary<string, int> { ["SO_REUSEADDR"] = 1 },
            Settings = new Dictionary<string, string> { ["net.ipv4.tcp_tw_reuse"] = "1" },
            Details = new JsonObject { ["states"] = "TIME_WAIT" },
        };

        var json = JsonNode.Parse(CaseRecord.ToJsonArray([record]))!.AsArray().Single()!.AsObject();

        Assert.False(json.ContainsKey("errno"));
        Assert.Equal(1, (int?)json["readback"]!["SO_REUSEADDR"]);
        Assert.Equal("1", (string?)json["settings"]!["net.ipv4.tcp_tw_reuse"]);
        Assert.Equal("TIME_WAIT", (string?)json["details"]!["states"]);
    }
}
