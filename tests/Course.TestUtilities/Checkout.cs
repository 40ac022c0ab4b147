namespace Course.TestUtilities;

/// <summary>The repository checkout the tests run from: the folder holding Course.sln above the test binaries.</summary>
public static class Checkout
{
    /// <summary>The checkout's root folder, or null when the binaries do not sit inside a checkout.</summary>
    public static string? RootOrNull { get; } = Find();

    /// <summary>The checkout's root folder; throws, saying why, when the binaries do not sit inside a checkout.</summary>
    public static string Root => RootOrNull ?? throw new InvalidOperationException($"No Course.sln above {AppContext.BaseDirectory}. Fix: run the tests from a checkout of the course.");

    /// <summary>A path inside the checkout, e.g. Checkout.Path("notebooks", "01-address-already-in-use.ipynb").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string? Find() => AddressInUse.Verdicts.CourseCheckout.FindRoot(AppContext.BaseDirectory);
}
