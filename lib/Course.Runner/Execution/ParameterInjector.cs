using System.Text;
using Course.Runner.Notebooks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Execution;

/// <summary>What <see cref="ParameterInjector.Inject"/> did: the injected cell (if any), which names it set, and what it ignored.</summary>
public sealed record ParameterInjection(InteractiveDocumentElement? InjectedCell, IReadOnlyList<string> Applied, IReadOnlyList<string> Warnings);

/// <summary>Papermill-style parameters: overrides are assigned in a cell tagged "injected-parameters" placed right after the cell tagged "parameters".</summary>
public static class ParameterInjector
{
    /// <summary>The tag marking the notebook's cell of default parameter values.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>The tag of the cell the runner inserts with the overrides.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>The id given to the injected cell.</summary>
    public const string InjectedCellId = "injected-parameters";

    /// <summary>Checks that a value is a single C# expression (a literal such as true, 3, 2.5 or "text"); returns an error message or null.</summary>
    public static string? ValidateValue(string name, string value)
    {
        if (string.IsNullOrWhiteSpace(name) || !SyntaxFacts.IsValidIdentifier(name))
        {
            return $"parameter name '{name}' is not a C# identifier. Fix: use --param name=value with a variable name from the notebook's parameters cell.";
        }

        var expression = SyntaxFactory.ParseExpression(value);
        if (string.IsNullOrWhiteSpace(value) || expression.ContainsDiagnostics || expression.FullSpan.Length != value.Length)
        {
            return $"parameter {name}: the value `{value}` is not a C# expression. "
                   + "Fix: pass C# literal text, e.g. --param rounds=3, --param quick=true, --param host='\"127.0.0.1\"' (strings need double quotes).";
        }

        return null;
    }

    /// <summary>The variable names declared at the top level of a parameters cell.</summary>
    public static IReadOnlyList<string> DeclaredNames(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var root = tree.GetCompilationUnitRoot();
        var names = new List<string>();
        foreach (var member in root.Members)
        {
            var declaration = member switch
            {
                FieldDeclarationSyntax field => field.Declaration,
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local } => local.Declaration,
                _ => null,
            };
            if (declaration is not null)
            {
                names.AddRange(declaration.Variables.Select(v => v.Identifier.ValueText));
            }
        }

        return names;
    }

    /// <summary>Inserts the overrides after the "parameters" cell (replacing an earlier injected cell); names the cell does not declare are reported, not injected.</summary>
    /// <param name="notebook">The notebook, changed in place.</param>
    /// <param name="overrides">Name → C# value text.</param>
    /// <param name="optional">Names set for a whole run (--quick) that a notebook need not declare: skipped without a warning.</param>
    /// <exception cref="CourseException">A name or value is not valid C#.</exception>
    public static ParameterInjection Inject(InteractiveDocument notebook, IReadOnlyDictionary<string, string> overrides, IReadOnlySet<string>? optional = null)
    {
        optional ??= new HashSet<string>();
        foreach (var injected in notebook.Elements.Where(c => c.HasTag(InjectedTag)).ToList())
        {
            notebook.Elements.Remove(injected);
        }

        if (overrides.Count == 0)
        {
            return new ParameterInjection(null, [], []);
        }

        foreach (var (name, value) in overrides)
        {
            if (ValidateValue(name, value) is { } problem)
            {
                throw new CourseException(problem);
            }
        }

        var index = notebook.Elements.ToList().FindIndex(c => c.IsCode() && c.HasTag(ParametersTag));
        var warnings = new List<string>();
        if (index < 0)
        {
            if (overrides.Keys.All(optional.Contains))
            {
                return new ParameterInjection(null, [], warnings);
            }

            warnings.Add($"no cell is tagged \"{ParametersTag}\", so --param {string.Join(", ", overrides.Keys)} had no effect. "
                         + "Fix: tag the cell of default values with \"parameters\" (cell metadata \"tags\": [\"parameters\"]).");
            return new ParameterInjection(null, [], warnings);
        }

        var declared = DeclaredNames(notebook.Elements[index].Contents);
        var code = new StringBuilder("// Parameters injected by the course runner (--param / --quick).\n");
        var applied = new List<string>();

        // Declaration order keeps the injected cell stable however the options were ordered on the command line.
        foreach (var name in declared.Where(overrides.ContainsKey))
        {
            // An assignment (not a new `var`) keeps the declared type: `double t = 0.5;` with t=1 stays a double.
            code.Append(name).Append(" = ").Append(overrides[name].Trim()).Append(";\n");
            applied.Add(name);
        }

        foreach (var name in overrides.Keys.Where(n => !declared.Contains(n) && !optional.Contains(n)).Order(StringComparer.Ordinal))
        {
            warnings.Add($"parameter '{name}' is not declared in the parameters cell (it declares: {(declared.Count == 0 ? "nothing" : string.Join(", ", declared))}), so it was ignored.");
        }

        if (applied.Count == 0)
        {
            return new ParameterInjection(null, [], warnings);
        }

        var cell = NotebookCells.Code(code.ToString().TrimEnd('\n'), notebook.Elements.Any(c => c.Id == InjectedCellId) ? null : InjectedCellId);
        cell.AddTag(InjectedTag);
        notebook.Elements.Insert(index + 1, cell);
        cell.Id ??= notebook.NewCellId(index + 1);
        return new ParameterInjection(cell, applied, warnings);
    }
}
