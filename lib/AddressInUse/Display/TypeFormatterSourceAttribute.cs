namespace AddressInUse.Display;

/// <summary>
/// Names the formatter source for a type. Polyglot Notebooks (.NET Interactive) and the course runner find this
/// attribute by its name alone, so the library needs no reference to any notebook package.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = true)]
public sealed class TypeFormatterSourceAttribute : Attribute
{
    /// <summary>Names the formatter source type.</summary>
    public TypeFormatterSourceAttribute(Type formatterSourceType) => FormatterSourceType = formatterSourceType;

    /// <summary>The type whose CreateTypeFormatters() returns the formatters.</summary>
    public Type FormatterSourceType { get; }

    /// <summary>The MIME types a host should produce for values of the type, most preferred first.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}
