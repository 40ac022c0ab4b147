// Types that follow .NET Interactive's convention with a locally declared attribute, exactly as the course library does.
namespace Course.Runner.Tests.Formatting.Conventions;

[AttributeUsage(AttributeTargets.Class | AttributeTargets.Interface)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    public string[]? PreferredMimeTypes { get; set; }
}

public sealed class SimpleFormatter(string mimeType, Func<object, string?> format, Type? type = null)
{
    public string MimeType { get; } = mimeType;

    public Type Type { get; } = type ?? typeof(object);

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
public sealed class HtmlOnly
{
    public override string ToString() => "plain from ToString";
}

public sealed class HtmlOnlyFormatters
{
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("text/html", _ => "<i>html only</i>")];
}

[TypeFormatterSource(typeof(BaseFormatters), PreferredMimeTypes = ["text/html", "application/json"])]
public class BaseValue;

public sealed class DerivedValue : BaseValue;

public sealed class BaseFormatters
{
    public IEnumerable<object> CreateTypeFormatters() =>
    [
        new SimpleFormatter("text/html", _ => "<p>derived</p>", typeof(DerivedValue)),
        new SimpleFormatter("application/json", _ => "{\"n\": 7}"),
    ];
}

[TypeFormatterSource(typeof(DecliningFormatters))]
public sealed class Declined;

public sealed class DecliningFormatters
{
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("text/html", _ => null)];
}

[TypeFormatterSource(typeof(BadJsonFormatters), PreferredMimeTypes = ["application/vnd.test+json"])]
public sealed class BadJson;

public sealed class BadJsonFormatters
{
    public IEnumerable<object> CreateTypeFormatters() => [new SimpleFormatter("application/vnd.test+json", _ => "{not json")];
}

[TypeFormatterSource(typeof(ThrowingFormatters))]
public sealed class Throwing;

public sealed class ThrowingFormatters
{
    public IEnumerable<object> CreateTypeFormatters() =>
        [new SimpleFormatter("text/html", _ => throw new InvalidOperationException("formatter broke"))];
}

[TypeFormatterSource(typeof(NoFactorySource))]
public sealed class NoFactory;

public sealed class NoFactorySource;
