using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Course.Runner.Tests.Fixtures;

/// <summary>Compiles small class libraries on the fly, so that notebooks can really #r a dll next to them.</summary>
public static class FixtureLibrary
{
    /// <summary>A dependency library (Fixture.Core) used by the main fixture library, to check that files next to a #r target load.</summary>
    public const string CoreSource = """
        namespace Fixture.Core;
        public static class Greeter
        {
            public static string Greet(string name) => "hello " + name + " from core";
        }
        """;

    /// <summary>The main fixture library: types with convention-based formatters (by attribute name, as .NET Interactive finds them).</summary>
    public const string Source = """
        using System;
        using System.Collections.Generic;
        using System.IO;

        namespace Fixture;

        [AttributeUsage(AttributeTargets.Class | AttributeTargets.Interface | AttributeTargets.Struct)]
        public sealed class TypeFormatterSourceAttribute : Attribute
        {
            public TypeFormatterSourceAttribute(Type formatterSourceType) { FormatterSourceType = formatterSourceType; }
            public Type FormatterSourceType { get; }
            public string[] PreferredMimeTypes { get; set; } = Array.Empty<string>();
        }

        [TypeFormatterSource(typeof(MeasurementFormatters), PreferredMimeTypes = new[] { "text/html", "application/vnd.course.cases+json" })]
        public sealed class Measurement
        {
            public Measurement(string name, double seconds) { Name = name; Seconds = seconds; }
            public string Name { get; }
            public double Seconds { get; }
            public override string ToString() => Name + ": " + Seconds + " s";
        }

        public sealed class MeasurementFormatters
        {
            public IEnumerable<object> CreateTypeFormatters()
            {
                yield return new Html();
                yield return new CasesJson();
            }

            private sealed class Html
            {
                public string MimeType => "text/html";
                public Type Type => typeof(Measurement);
                public bool Format(object instance, TextWriter writer)
                {
                    var m = (Measurement)instance;
                    writer.Write("<b class=\"measurement\">" + m.Name + "</b>");
                    return true;
                }
            }

            private sealed class CasesJson
            {
                public string MimeType => "application/vnd.course.cases+json";
                public bool Format(object instance, TextWriter writer)
                {
                    var m = (Measurement)instance;
                    writer.Write("[{\"case\": \"" + m.Name + "\", \"seconds\": " + m.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}]");
                    return true;
                }
            }
        }

        public interface IChart { string Name { get; } }

        // On the class, not the interface: the real kernel applies convention formatter sources declared on classes only.
        [TypeFormatterSource(typeof(ChartFormatters), PreferredMimeTypes = new[] { "application/vnd.plotly.v1+json" })]
        public sealed class LineChart : IChart
        {
            public LineChart(string name) { Name = name; }
            public string Name { get; }
        }

        public sealed class ChartFormatters
        {
            public IEnumerable<object> CreateTypeFormatters()
            {
                yield return new Plotly();
                yield return new Plain();
            }

            private sealed class Plotly
            {
                public string MimeType => "application/vnd.plotly.v1+json";
                public bool Format(object instance, TextWriter writer)
                {
                    var name = ((IChart)instance).Name;
                    writer.Write("{\"data\": [{\"type\": \"scatter\", \"x\": [1, 2], \"y\": [3, 4]}], \"layout\": {\"meta\": {\"name\": \"" + name + "\"}}}");
                    return true;
                }
            }

            private sealed class Plain
            {
                public string MimeType => "text/plain";
                public bool Format(object instance, TextWriter writer)
                {
                    writer.Write("chart " + ((IChart)instance).Name);
                    return true;
                }
            }
        }

        public static class Api
        {
            public static string GreetThroughCore(string name) => Fixture.Core.Greeter.Greet(name);
        }
        """;

    // The running framework's assemblies (System.*.dll beside System.Private.CoreLib), as the library is compiled against them.
    private static readonly Lazy<IReadOnlyList<MetadataReference>> FrameworkAssemblies = new(() =>
        Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Where(IsManaged)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList());

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Compiles Fixture.Core.dll and Fixture.dll into the folder and returns the path of Fixture.dll.</summary>
    public static string BuildInto(string folder)
    {
        Directory.CreateDirectory(folder);
        var core = Emit(folder, "Fixture.Core", CoreSource, []);
        return Emit(folder, "Fixture", Source, [MetadataReference.CreateFromFile(core)]);
    }

    /// <summary>Compiles one library from source into folder/name.dll and returns its path.</summary>
    public static string Emit(string folder, string name, string source, IEnumerable<MetadataReference> extraReferences)
    {
        var compilation = CSharpCompilation.Create(name,
            [CSharpSyntaxTree.ParseText(source)],
            FrameworkAssemblies.Value.Concat(extraReferences),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var path = Path.Combine(folder, name + ".dll");
        using (var stream = File.Create(path))
        {
            var result = compilation.Emit(stream);
            if (!result.Success)
            {
                throw new InvalidOperationException("Fixture library does not compile:\n" + string.Join("\n", result.Diagnostics));
            }
        }

        return path;
    }
}
