// Types that follow .NET Interactive's convention with a locally declared attribute, exactly as the course library does.
namespace Course.Runner.Tests.Formatting.Conventions;

[AttributeUsage(AttributeTargets.Class | AttributeTargets.Interface)]
/// <summary>A local copy of the convention attribute: the runner must find it by name alone.</summary>
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The formatter source type.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>The MIME types to produce.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>A formatter in the convention's shape, built from a function (null declines the value).</summary>
public sealed class SimpleFormatter(string mimeType, Func<object, string?> format, Type? type = null)
{
    /// <summary>The MIME type written.</summary>
    public string MimeType { get; } = mimeType;

    /// <summary>The type values must be assignable to.</summary>
    public Type Type { get; } = type ?? typeof(object);

    /// <summary>Writes the value, or declines it.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        var text = format(instance);
        if (text is null)
        {
            return false;
        }

        writer.Write(text);
        return true;
    }
}

[TypeFormatterSource(typeof(HtmlOnlyFormatters))]
/// <summary>A type whose attribute names no preferred MIME types.</summary>
public sealed class HtmlOnly
{
    /// <summary>The plain text used when no text/plain formatter exists.</summary>
    public override string ToString() => "plain from ToString";
}

/// <summary>A type whose attribute names no preferred MIME types.</summary>
public sealed class HtmlOnlyFormatters
{
    /// <summary>Creates the formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("text/html", _ => "<i>html only</i>")];
}

[TypeFormatterSource(typeof(BaseFormatters), PreferredMimeTypes = ["text/html", "application/json"])]
/// <summary>A base type carrying the attribute.</summary>
public class BaseValue;

/// <summary>A subclass that inherits the base type's formatters.</summary>
public sealed class DerivedValue : BaseValue;

/// <summary>Formatters for BaseValue and DerivedValue.</summary>
public sealed class BaseFormatters
{
    /// <summary>Creates the formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() =>
    [
        new SimpleFormatter("text/html", _ => "<p>derived</p>", typeof(DerivedValue)),
        new SimpleFormatter("application/json", _ => "{\"n\": 7}"),
    ];
}

[TypeFormatterSource(typeof(DecliningFormatters))]
/// <summary>A type whose only formatter declines.</summary>
public sealed class Declined;

/// <summary>Formatters that decline every value.</summary>
public sealed class DecliningFormatters
{
    /// <summary>Creates the formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("text/html", _ => null)];
}

[TypeFormatterSource(typeof(BadJsonFormatters), PreferredMimeTypes = ["application/vnd.test+json"])]
/// <summary>A type whose JSON formatter writes invalid JSON.</summary>
public sealed class BadJson;

/// <summary>A type whose JSON formatter writes invalid JSON.</summary>
public sealed class BadJsonFormatters
{
    /// <summary>Creates the formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("application/vnd.test+json", _ => "{not json")];
}

[TypeFormatterSource(typeof(ThrowingFormatters))]
/// <summary>A type whose formatter throws.</summary>
public sealed class Throwing;

/// <summary>A type whose formatter throws.</summary>
public sealed class ThrowingFormatters
{
    /// <summary>Creates the formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() =>
        [new SimpleFormatter("text/html", _ => throw new InvalidOperationException("formatter broke"))];
}

[TypeFormatterSource(typeof(NoFactorySource))]
/// <summary>A type whose formatter source has no CreateTypeFormatters().</summary>
public sealed class NoFactory;

/// <summary>A type whose formatter source has no CreateTypeFormatters().</summary>
public sealed class NoFactorySource;
