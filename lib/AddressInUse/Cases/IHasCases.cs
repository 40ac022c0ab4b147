namespace AddressInUse.Cases;

/// <summary>A value that carries measured cases: what results.json records and what a verdict judges.</summary>
public interface IHasCases
{
    /// <summary>The measured cases.</summary>
    IEnumerable<CaseRecord> Cases { get; }
}
