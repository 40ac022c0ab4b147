using System.Globalization;
using Course.Runner.Execution;

namespace Course.Runner.Cli;

/// <summary>The options of `course run`, parsed from the command line.</summary>
public sealed class RunOptions
{
    /// <summary>The usage text of `run`.</summary>
    public const string Usage = """
        course run [--chapter NN ...] [--param name=value ...] [--quick] [--cell-timeout S]
                   [--notebooks DIR] [--out DIR] [--images DIR]

          --chapter NN        run only chapters whose name starts with NN (repeatable; default: all)
          --param name=value  set a variable of the notebook's "parameters" cell; value is C# text
                              (e.g. --param rounds=3, --param host='"127.0.0.1"') (repeatable)
          --quick             shorthand for --param quick=true
          --cell-timeout S    seconds one cell may run before it is cancelled (default 300)
          --notebooks DIR     the chapter notebooks (default: <repo>/notebooks)
          --out DIR           executed notebooks and HTML pages (default: <repo>/out/<os>)
          --images DIR        results.json and chart images (default: <repo>/images/<os>)
        """;

    /// <summary>Chapter prefixes to run (empty: all).</summary>
    public List<string> Chapters { get; } = [];

    /// <summary>Parameter overrides, name → C# expression text.</summary>
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The per-cell time limit.</summary>
    public TimeSpan CellTimeout { get; set; } = ExecutionOptions.DefaultCellTimeout;

    /// <summary>The notebooks folder, or null for the default.</summary>
    public string? NotebooksFolder { get; set; }

    /// <summary>The output folder, or null for the default.</summary>
    public string? OutFolder { get; set; }

    /// <summary>The images folder, or null for the default.</summary>
    public string? ImagesFolder { get; set; }

    /// <summary>Parses the arguments after `run`.</summary>
    /// <exception cref="UsageException">An unknown option, a missing value or a bad value.</exception>
    public static RunOptions Parse(IReadOnlyList<string> args)
    {
        var options = new RunOptions();
        var quick = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2 && !arg.StartsWith("--param", StringComparison.Ordinal))
            {
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{arg} needs a value.");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--chapter":
                    options.Chapters.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--param":
                    AddParameter(options, Value());
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--cell-timeout":
                    var text = Value();
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || double.IsInfinity(seconds))
                    {
                        throw new UsageException($"--cell-timeout {text}: expected a number of seconds above 0, e.g. --cell-timeout 600.");
                    }

                    options.CellTimeout = TimeSpan.FromSeconds(seconds);
                    break;
                case "--notebooks":
                    options.NotebooksFolder = Value();
                    break;
                case "--out":
                    options.OutFolder = Value();
                    break;
                case "--images":
                    options.ImagesFolder = Value();
                    break;
                default:
                    if (arg.StartsWith("--param=", StringComparison.Ordinal))
                    {
                        AddParameter(options, arg["--param=".Length..]);
                        break;
                    }

                    throw new UsageException(arg.StartsWith('-') ? $"Unknown option {arg}." : $"Unexpected argument {arg}.");
            }
        }

        // An explicit --param quick=... says more than --quick, so it wins.
        if (quick)
        {
            options.Parameters.TryAdd("quick", "true");
        }

        return options;
    }

    private static void AddParameter(RunOptions options, string pair)
    {
        var eq = pair.IndexOf('=');
        if (eq <= 0)
        {
            throw new UsageException($"--param {pair}: expected name=value, e.g. --param rounds=3.");
        }

        var name = pair[..eq].Trim();
        var value = pair[(eq + 1)..].Trim();
        if (ParameterInjector.ValidateValue(name, value) is { } problem)
        {
            throw new UsageException(problem);
        }

        options.Parameters[name] = value;
    }
}
