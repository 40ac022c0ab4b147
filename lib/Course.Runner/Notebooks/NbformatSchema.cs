using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Course.Runner.Notebooks;

/// <summary>
/// Checks a notebook against Jupyter's own nbformat 4.5 JSON schema (embedded; evaluated by JsonSchema.Net) before the
/// Documents API reads it, and names the first problem: where it is (cell and output), what the schema says, and the fix.
/// </summary>
public static class NbformatSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(Build);

    /// <summary>The schema's text as Jupyter publishes it (nbformat/v4/nbformat.v4.5.schema.json), embedded in the runner.</summary>
    public static string SchemaText { get; } = ReadEmbedded();

    /// <summary>Every place the notebook text breaks the schema, as "instance location: keyword: message"; empty when it is valid (tests list them all).</summary>
    public static IReadOnlyList<string> Problems(string notebookJson)
    {
        var results = Evaluate(JsonNode.Parse(notebookJson), OutputFormat.List);
        if (results.IsValid)
        {
            return [];
        }

        var problems = (results.Details ?? []).SelectMany(d => (d.Errors ?? new Dictionary<string, string>()).Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).ToList();
        return problems.Count > 0 ? problems : ["the document does not match the schema"];
    }

    private static EvaluationResults Evaluate(JsonNode? notebook, OutputFormat format) =>
        Schema.Value.Evaluate(JsonSerializer.SerializeToElement(notebook, DepthOptions), new EvaluationOptions { OutputFormat = format });

    // The reader's own depth limit, so a notebook it accepted never fails here on depth.
    private static readonly JsonSerializerOptions DepthOptions = new() { MaxDepth = NotebookReader.MaxDepth };

    /// <summary>Throws a <see cref="NotebookFormatException"/> naming the problem, its place and the fix, unless <paramref name="root"/> is an nbformat 4 notebook.</summary>
    public static void Check(JsonNode? root, string sourceName)
    {
        if (root is not JsonObject notebook)
        {
            throw Problem(sourceName, "the top level is not a JSON object", "$",
                "a notebook is an object with \"cells\", \"metadata\", \"nbformat\" and \"nbformat_minor\"; check that you opened the .ipynb file and not another JSON file");
        }

        if (notebook["nbformat"] is JsonValue major && major.TryGetValue<int>(out var version) && version != NotebookReader.FormatMajor)
        {
            throw Problem(sourceName, $"nbformat is {version}, but only nbformat 4 is supported", "$.nbformat",
                "convert it with: jupyter nbconvert --to notebook --nbformat 4 <file>, or re-save it from VS Code / Jupyter");
        }

        var results = Evaluate(WithCellIds(notebook), OutputFormat.Hierarchical);
        if (results.IsValid)
        {
            return;
        }

        var (location, message) = FirstProblem(results);
        var path = JsonPath(location);
        var place = Place(location);
        var found = Found(notebook, location);
        throw Problem(sourceName, $"{place}{message}{found}", path, FixFor(location));
    }

    /// <summary>nbformat reads 4.0–4.4 notebooks by upgrading them to 4.5 (cells get ids); the schema check does the same on a copy.</summary>
    private static JsonObject WithCellIds(JsonObject notebook)
    {
        if (notebook["nbformat_minor"] is JsonValue minor && minor.TryGetValue<int>(out var m) && m >= NotebookReader.FormatMinor)
        {
            return notebook;
        }

        var copy = (JsonObject)notebook.DeepClone();
        if (copy["nbformat_minor"] is JsonValue)
        {
            copy["nbformat_minor"] = NotebookReader.FormatMinor;
        }

        var cells = copy["cells"] as JsonArray ?? [];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is JsonObject cell && !cell.ContainsKey("id"))
            {
                cell["id"] = $"cell-{i + 1}";
            }
        }

        return copy;
    }

    /// <summary>
    /// The problem to report. A cell or output is one of several kinds (the schema's oneOf), and only the kind its
    /// cell_type / output_type names says what is wrong with it; among the failures left, the deepest one.
    /// </summary>
    private static (string Location, string Message) FirstProblem(EvaluationResults results)
    {
        var failures = new List<EvaluationResults>();
        Collect(results, failures);
        // The deepest place; at one place, the most specific rule (a branch's "required" rather than the oneOf that holds it).
        var chosen = failures.OrderByDescending(d => d.InstanceLocation.ToString().Count(c => c == '/')).ThenByDescending(d => d.EvaluationPath.ToString().Length).FirstOrDefault() ?? results;
        return (chosen.InstanceLocation.ToString(), chosen.Errors is { Count: > 0 } errors ? string.Join("; ", errors.Values) : "the notebook does not match the nbformat 4.5 schema");
    }

    // Walks only failing nodes (a passing oneOf keeps the failures of its other branches, which say nothing).
    private static void Collect(EvaluationResults node, List<EvaluationResults> failures)
    {
        if (node.Errors is { Count: > 0 })
        {
            failures.Add(node);
        }

        var failing = (node.Details ?? []).Where(d => !d.IsValid).ToList();
        var branches = failing.Where(d => IsOneOfBranch(d.EvaluationPath.ToString())).ToList();
        if (branches.Count > 1)
        {
            // The branches whose kind the cell or output names; the others fail on cell_type / output_type alone.
            var ofItsKind = branches.Where(b => !FailsOnKind(b)).ToList();
            failing = failing.Except(branches).Concat(ofItsKind.Count > 0 ? ofItsKind : branches).ToList();
        }

        foreach (var detail in failing)
        {
            Collect(detail, failures);
        }
    }

    private static bool IsOneOfBranch(string evaluationPath) =>
        evaluationPath.LastIndexOf("/oneOf/", StringComparison.Ordinal) is var at and >= 0
        && int.TryParse(evaluationPath[(at + "/oneOf/".Length)..], out _);

    private static bool FailsOnKind(EvaluationResults node) =>
        (node.Errors is { Count: > 0 } && node.InstanceLocation.ToString() is var at && (at.EndsWith("/cell_type", StringComparison.Ordinal) || at.EndsWith("/output_type", StringComparison.Ordinal)))
        || (node.Details ?? []).Any(d => !d.IsValid && FailsOnKind(d));

    // "/cells/1/outputs/0/output_type" → "$.cells[1].outputs[0].output_type".
    private static string JsonPath(string pointer) =>
        "$" + string.Concat(pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(segment => int.TryParse(segment, out var index) ? $"[{index}]" : "." + segment.Replace("~1", "/").Replace("~0", "~")));

    // "cell 2, output 1: " for places inside a cell, so the reader finds it in the editor.
    private static string Place(string pointer)
    {
        var segments = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || segments[0] != "cells" || !int.TryParse(segments[1], out var cell))
        {
            return "";
        }

        return segments.Length >= 4 && segments[2] == "outputs" && int.TryParse(segments[3], out var output)
            ? $"cell {cell + 1}, output {output + 1}: "
            : $"cell {cell + 1}: ";
    }

    // The offending value when it is short (a wrong cell_type, a number where text belongs), so the message shows what was found.
    private static string Found(JsonObject notebook, string pointer)
    {
        JsonNode? node = notebook;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node switch
            {
                JsonObject obj => obj[segment.Replace("~1", "/").Replace("~0", "~")],
                JsonArray array when int.TryParse(segment, out var i) && i < array.Count => array[i],
                _ => null,
            };
        }

        var text = node is JsonValue ? node.ToJsonString() : null;
        return text is { Length: <= 40 } ? $" (found {text})" : "";
    }

    private static string FixFor(string pointer) =>
        pointer.EndsWith("/cell_type", StringComparison.Ordinal) ? "use \"code\", \"markdown\" or \"raw\""
        : pointer.EndsWith("/output_type", StringComparison.Ordinal) ? "nbformat 4 outputs are stream, display_data, execute_result or error; clear the cell's outputs and run it again"
        : pointer.Contains("/outputs", StringComparison.Ordinal) ? "clear the cell's outputs and run it again"
        : pointer.Length == 0 ? "a notebook needs \"cells\", \"metadata\", \"nbformat\": 4 and \"nbformat_minor\" at the top level; compare with a notebook saved by VS Code / Jupyter"
        : "compare with a notebook saved by VS Code / Jupyter, re-save it from there, or restore it from git";

    private static NotebookFormatException Problem(string sourceName, string problem, string jsonPath, string fix) =>
        new(sourceName, $"Notebook {sourceName} is not an nbformat 4 notebook: {problem} (at {jsonPath}). Fix: {fix}.");

    private static string ReadEmbedded()
    {
        using var stream = typeof(NbformatSchema).Assembly.GetManifestResourceStream("Course.Runner.nbformat.v4.schema.json")
            ?? throw new InvalidOperationException("The nbformat schema is missing from the runner's resources. Fix: rebuild lib/Course.Runner.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static JsonSchema Build()
    {
        // The schema declares draft-04, which JsonSchema.Net does not implement; the keywords it uses (type, properties, required,
        // additionalProperties, patternProperties, items, oneOf, not, enum, $ref to definitions) mean the same in draft-06.
        var schema = JsonNode.Parse(SchemaText)!.AsObject();
        schema.Remove("$schema");
        // JsonSchema.Net 8.0.5 throws KeyNotFoundException for a patternProperties key holding '/' (it looks the key up JSON-pointer
        // escaped, as '~1'); \x2F is the same regex without the character.
        foreach (var holder in Descendants(schema).OfType<JsonObject>().Where(o => o["patternProperties"] is JsonObject).ToList())
        {
            var patterns = holder["patternProperties"]!.AsObject();
            foreach (var key in patterns.Select(p => p.Key).Where(k => k.Contains('/')).ToList())
            {
                var value = patterns[key]!.DeepClone();
                patterns.Remove(key);
                patterns[key.Replace("/", "\\x2F")] = value;
            }
        }

        return JsonSchema.FromText(schema.ToJsonString(), new BuildOptions { Dialect = Dialect.Draft06 });
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node) =>
        node switch
        {
            JsonObject obj => obj.Select(p => p.Value).OfType<JsonNode>().SelectMany(Descendants).Prepend(node),
            JsonArray array => array.OfType<JsonNode>().SelectMany(Descendants).Prepend(node),
            _ => [node],
        };
}
