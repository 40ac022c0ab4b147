using System.CommandLine;
using Course.Runner.Execution;
using Course.Runner.Pipeline;

namespace Course.Runner.Cli;

/// <summary>The options of `course run`, parsed from the command line.</summary>
public sealed class RunOptions
{
    /// <summary>Chapter prefixes to run (empty: all).</summary>
    public List<string> Chapters { get; } = [];

    /// <summary>Parameter overrides, name → C# expression text.</summary>
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>Parameter names set for the whole run (by --quick) that a chapter need not declare: no warning where it does not.</summary>
    public HashSet<string> OptionalParameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The per-cell time limit.</summary>
    public TimeSpan CellTimeout { get; set; } = ExecutionOptions.DefaultCellTimeout;

    /// <summary>How many chapters may run at once (each in its own kernel worker); 1 runs them one after another.</summary>
    public int Jobs { get; set; } = ChapterSchedule.DefaultJobs;

    /// <summary>Whether every chapter gets a new kernel worker process, as before warm workers were handed on (slower; for comparison and benchmarks).</summary>
    public bool ProcessPerChapter { get; set; }

    /// <summary>The notebooks folder, or null for the default.</summary>
    public string? NotebooksFolder { get; set; }

    /// <summary>The output folder, or null for the default.</summary>
    public string? OutFolder { get; set; }

    /// <summary>The images folder, or null for the default.</summary>
    public string? ImagesFolder { get; set; }

    /// <summary>Parses the arguments after `run` (the same parser the CLI uses).</summary>
    /// <exception cref="UsageException">An unknown option, a missing value or a bad value.</exception>
    public static RunOptions Parse(IReadOnlyList<string> args)
    {
        var symbols = new RunOptionSymbols();
        var command = new Command("run");
        symbols.AddTo(command);
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, parsed.Errors.Select(e => e.Message)));
        }

        return symbols.Read(parsed);
    }
}

/// <summary>The System.CommandLine options of `course run` and how they become <see cref="RunOptions"/>.</summary>
public sealed class RunOptionSymbols
{
    private readonly Option<string[]> _chapter = new("--chapter")
    {
        Description = "run only chapters whose name starts with NN (repeatable, or comma-separated; default: every chapter)",
        HelpName = "NN",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string[]> _param = new("--param")
    {
        Description = "set a variable of the notebook's \"parameters\" cell; value is C# text, e.g. --param rounds=3, --param host='\"127.0.0.1\"' (repeatable)",
        HelpName = "name=value",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<bool> _quick = new("--quick") { Description = "shorthand for --param quick=true (shorter experiments)" };

    private readonly Option<TimeSpan?> _cellTimeout = CliValues.SecondsOption(
        "--cell-timeout", $"seconds one cell may run before it is cancelled (default {ExecutionOptions.DefaultCellTimeout.TotalSeconds:0})", "600");

    private readonly Option<int?> _jobs = new("--jobs")
    {
        Description = $"how many chapters run at once, each in its own kernel (default {ChapterSchedule.DefaultJobs} on this machine; 1: one after another). Output and results stay in chapter order",
        HelpName = "N",
        CustomParser = r =>
        {
            var (value, ok) = CliValues.Single(r, text => CliValues.ParseWhole("--jobs", text, 1, 8, "chapters"));
            return ok ? value : null;
        },
    };

    private readonly Option<bool> _processPerChapter = new("--process-per-chapter")
    {
        Description = "start a new kernel process for every chapter instead of handing a warm one on with a fresh kernel (slower; every chapter already gets a fresh kernel)",
    };

    private readonly Option<string> _notebooks = CliValues.FolderOption("--notebooks", "the chapter notebooks (default: <repo>/notebooks)");

    private readonly Option<string> _out = CliValues.FolderOption("--out", "executed notebooks and HTML pages (default: <repo>/out/<os>)");

    private readonly Option<string> _images = CliValues.FolderOption("--images", "results.json and chart images (default: <repo>/images/<os>)");

    /// <summary>Adds the options to the `run` command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _chapter, _param, _quick, _cellTimeout, _jobs, _processPerChapter, _notebooks, _out, _images })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Reads the parsed values, checking what the parser cannot (empty chapter selectors, parameter syntax).</summary>
    /// <exception cref="UsageException">A value is not acceptable.</exception>
    public RunOptions Read(ParseResult parsed)
    {
        var options = new RunOptions
        {
            NotebooksFolder = parsed.GetValue(_notebooks),
            OutFolder = parsed.GetValue(_out),
            ImagesFolder = parsed.GetValue(_images),
            CellTimeout = parsed.GetValue(_cellTimeout) ?? ExecutionOptions.DefaultCellTimeout,
            Jobs = parsed.GetValue(_jobs) ?? ChapterSchedule.DefaultJobs,
            ProcessPerChapter = parsed.GetValue(_processPerChapter),
        };

        foreach (var selector in parsed.GetValue(_chapter) ?? [])
        {
            var parts = selector.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Any(p => p.Length == 0))
            {
                // An empty selector used to mean "every chapter": a typo must not start a full run of many minutes.
                throw new UsageException($"--chapter {CliValues.Quote(selector)} names no chapter. Fix: pass a chapter number such as --chapter 01, or leave --chapter out to run every chapter.");
            }

            options.Chapters.AddRange(parts);
        }

        foreach (var pair in parsed.GetValue(_param) ?? [])
        {
            AddParameter(options, pair);
        }

        // An explicit --param quick=... says more than --quick, so it wins.
        if (parsed.GetValue(_quick) && options.Parameters.TryAdd("quick", "true"))
        {
            // --quick is for the whole run: a chapter with nothing to shorten need not declare it.
            options.OptionalParameters.Add("quick");
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
