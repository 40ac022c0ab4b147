using AddressInUse.Experiments.Teardown;
using AddressInUse.Lab;

namespace AddressInUse.Tests.Experiments.Teardown;

public sealed class TimeWaitSettingsTests
{
    [Fact]
    public void BucketsTable_SmallLimitWithEntriesPresent_ShowsThePresentEntriesBesideTheNewOnes()
    {
        var outcome = new TimeWaitBucketsOutcome(new LabAvailability(true, ""), 20, "4096", 20, 4, 0, "262144", PresentBeforeSmall: 20);

        // Cells without their style, entities decoded: the text a reader sees, row by row.
        var html = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(outcome.ToHtml(), "<td[^>]*>", "<td>"));

        Assert.Contains("TIME_WAIT entries already in the lab's table", html);
        Assert.Contains("new TIME_WAIT entries from these connections", html);
        Assert.Contains("<td>4</td><td>20</td><td>20</td><td>0</td>", html);
        Assert.Equal(20, (int)outcome.Cases.Single().Details!["present_before_small"]!);
    }
}
