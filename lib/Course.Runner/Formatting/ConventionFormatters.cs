using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Course.Runner.Formatting;

/// <summary>
/// Finds formatters the way .NET Interactive does without a package reference: by an attribute whose type is named
/// TypeFormatterSourceAttribute on the value's type, a base type or an interface.
/// </summary>
public sealed class ConventionFormatters
{
    /// <summary>The attribute type name the convention looks for (any namespace, any assembly).</summary>
    public const string AttributeName = "TypeFormatterSourceAttribute";

    /// <summary>The MIME types preferred when the attribute does not say.</summary>
    public static readonly IReadOnlyList<string> DefaultPreferredMimeTypes = ["text/html"];

    private static readonly ConcurrentDictionary<Type, ConventionFormatters?> Cache = new();

    private ConventionFormatters(Type declaringType, Type sourceType, IReadOnlyList<string> preferred, IReadOnlyList<Formatter> formatters)
    {
        DeclaringType = declaringType;
        SourceType = sourceType;
        PreferredMimeTypes = preferred;
        Formatters = formatters;
    }

    /// <summary>The type (the value's own, a base type or an interface) that carries the attribute.</summary>
    public Type DeclaringType { get; }

    /// <summary>The formatter source type named by the attribute's FormatterSourceType.</summary>
    public Type SourceType { get; }

    /// <summary>The MIME types to produce, from the attribute's PreferredMimeTypes or the default (text/html).</summary>
    public IReadOnlyList<string> PreferredMimeTypes { get; }

    /// <summary>The formatters returned by the source's CreateTypeFormatters().</summary>
    public IReadOnlyList<Formatter> Formatters { get; }

    /// <summary>Returns the convention formatters for a type, or null when neither it nor its bases/interfaces carry the attribute.</summary>
    /// <exception cref="FormattingException">The attribute or the formatter source does not follow the convention.</exception>
    public static ConventionFormatters? For(Type type) => Cache.GetOrAdd(type, Discover);

    /// <summary>Runs the first formatter for the MIME type that accepts the value; null when none does.</summary>
    public string? TryFormat(object value, string mimeType)
    {
        foreach (var formatter in Formatters)
        {
            if (!formatter.MimeType.Equals(mimeType, StringComparison.OrdinalIgnoreCase)
                || (formatter.TargetType is not null && !formatter.TargetType.IsInstanceOfType(value)))
            {
                continue;
            }

            var writer = new StringWriter();
            bool handled;
            try
            {
                handled = formatter.Format(value, writer);
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
                throw new FormattingException(
                    $"The {mimeType} formatter {formatter.Describe()} from {SourceType.FullName} threw {inner.GetType().Name} while formatting a {value.GetType().Name}: {inner.Message}. "
                    + "Fix: correct the formatter in the library that defines it and rebuild it.", inner);
            }

            if (handled)
            {
                return writer.ToString();
            }
        }

        return null;
    }

    private static ConventionFormatters? Discover(Type type)
    {
        foreach (var candidate in TypeAndAncestors(type))
        {
            var attribute = candidate.GetCustomAttributes(inherit: false)
                .FirstOrDefault(a => a.GetType().Name == AttributeName);
            if (attribute is null)
            {
                continue;
            }

            var attributeType = attribute.GetType();
            if (attributeType.GetProperty("FormatterSourceType")?.GetValue(attribute) is not Type sourceType)
            {
                throw new FormattingException(
                    $"{candidate.FullName} has a {AttributeName} without a FormatterSourceType (Type) property value. "
                    + "Fix: give the attribute a public Type FormatterSourceType property set from its constructor.");
            }

            var preferred = attributeType.GetProperty("PreferredMimeTypes")?.GetValue(attribute) switch
            {
                string single => [single],
                IEnumerable<string> many => many.Where(m => !string.IsNullOrWhiteSpace(m)).ToList(),
                _ => null,
            };

            return new ConventionFormatters(candidate, sourceType,
                preferred is { Count: > 0 } ? preferred : DefaultPreferredMimeTypes,
                CreateFormatters(sourceType, candidate));
        }

        return null;
    }

    private static IEnumerable<Type> TypeAndAncestors(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            yield return t;
        }

        foreach (var i in type.GetInterfaces())
        {
            yield return i;
        }
    }

    private static List<Formatter> CreateFormatters(Type sourceType, Type declaringType)
    {
        string Where() => $"the formatter source {sourceType.FullName} (named by {AttributeName} on {declaringType.FullName})";

        object source;
        try
        {
            source = Activator.CreateInstance(sourceType)
                     ?? throw new InvalidOperationException("Activator returned null");
        }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
            throw new FormattingException($"Cannot create {Where()}: {inner.Message}. Fix: give it a public parameterless constructor that does not throw.", inner);
        }

        var create = sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        if (create is null)
        {
            throw new FormattingException($"{Where()} has no public CreateTypeFormatters() method. Fix: add `public IEnumerable<object> CreateTypeFormatters()` returning the formatters.");
        }

        object? created;
        try
        {
            created = create.Invoke(source, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new FormattingException($"{Where()}.CreateTypeFormatters() threw {e.InnerException.GetType().Name}: {e.InnerException.Message}. Fix: correct it in the library and rebuild.", e.InnerException);
        }

        if (created is not IEnumerable items)
        {
            throw new FormattingException($"{Where()}.CreateTypeFormatters() did not return a list. Fix: return an IEnumerable of formatter objects.");
        }

        var formatters = new List<Formatter>();
        foreach (var item in items)
        {
            if (item is null)
            {
                continue;
            }

            var itemType = item.GetType();
            var mime = itemType.GetProperty("MimeType")?.GetValue(item) as string;
            var format = itemType.GetMethod("Format", BindingFlags.Public | BindingFlags.Instance, [typeof(object), typeof(TextWriter)]);
            if (string.IsNullOrWhiteSpace(mime) || format is null || format.ReturnType != typeof(bool))
            {
                throw new FormattingException(
                    $"{Where()} returned a {itemType.FullName} that is not a formatter. "
                    + "Fix: each formatter needs a string MimeType property and a `bool Format(object instance, TextWriter writer)` method.");
            }

            var targetType = itemType.GetProperty("Type")?.GetValue(item) as Type;
            formatters.Add(new Formatter(mime, targetType, itemType,
                (value, writer) => (bool)format.Invoke(item, [value, writer])!));
        }

        return formatters;
    }

    /// <summary>One formatter object from a formatter source, seen through reflection.</summary>
    public sealed class Formatter
    {
        private readonly Func<object, TextWriter, bool> _format;

        internal Formatter(string mimeType, Type? targetType, Type implementation, Func<object, TextWriter, bool> format)
        {
            MimeType = mimeType;
            TargetType = targetType;
            Implementation = implementation;
            _format = format;
        }

        /// <summary>The MIME type the formatter writes.</summary>
        public string MimeType { get; }

        /// <summary>The type the value must be assignable to, or null when the formatter takes any value.</summary>
        public Type? TargetType { get; }

        /// <summary>The formatter's own type.</summary>
        public Type Implementation { get; }

        /// <summary>Writes the value; returns false when the formatter declines it.</summary>
        public bool Format(object value, TextWriter writer) => _format(value, writer);

        internal string Describe() => Implementation.FullName ?? Implementation.Name;
    }
}
