using Markdig;
using System.Text;
using System.Text.Json;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.PackageManagement;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Kernel;

/// <summary>The worker process: hosts one real .NET Interactive C# kernel per notebook and streams its events to the runner.</summary>
/// <remarks>
/// The runner ends this process when a cell runs past its time limit or the run is cancelled: a cell that loops
/// without awaiting cannot be stopped inside the kernel's process, and the kernel redirects Console for the whole
/// process while a cell runs, so notebooks run one at a time in a process of their own. After a chapter ended normally
/// the process may serve the next one with a fresh kernel, when <see cref="ChapterIsolation"/> finds nothing of the
/// chapter left in it (a fresh kernel in a warm process takes tens of milliseconds; a new process, seconds of CPU).
/// </remarks>
internal static partial class KernelWorker
{
    /// <summary>Runs the worker loop until standard input closes (the runner went away) or a request says so.</summary>
    public static async Task<int> RunAsync()
    {
        // The raw streams, not Console.Out/In: the kernel swaps Console's writers while a cell runs.
        var protocol = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false, NewLine = "\n" };
        var requests = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        var gate = new object();
        void Send(WorkerEvent e)
        {
            var line = WorkerProtocol.EventPrefix + JsonSerializer.Serialize(e, WorkerProtocol.Json);
            lock (gate)
            {
                protocol.WriteLine(line);
                protocol.Flush();
            }
        }

        // A cell may run for minutes without reading the request pipe, so the runner's death is watched for apart from it.
        ParentWatch.Start();

        // A cell that reads standard input gets end-of-input at once instead of waiting for the time limit on the runner's pipe.
        Console.SetIn(TextReader.Null);

        // Created before the first request, so that kernel start-up overlaps with the runner's own work.
        var kernel = await StartKernelAsync().ConfigureAwait(false);
        var isolation = ChapterIsolation.Capture();
        var running = false;
        IDisposable Subscribe(CompositeKernel k) => k.KernelEvents.Subscribe(new EventObserver(e =>
        {
            // Events from background work after a cell ended (a timer updating a display) belong to no cell: dropped.
            if (Volatile.Read(ref running) && Translate(e) is { } translated)
            {
                Send(translated);
            }
        }));
        var subscription = Subscribe(kernel);

        while (await requests.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var request = JsonSerializer.Deserialize<WorkerRequest>(line, WorkerProtocol.Json)
                          ?? throw new InvalidDataException("empty request");
            switch (request.Op)
            {
                case "open":
                    // The kernel resolves relative #r paths against the process's current directory.
                    Directory.SetCurrentDirectory(request.Directory!);
                    Send(new WorkerEvent("ready"));
                    break;
                case "run":
                    Volatile.Write(ref running, true);
                    var result = await kernel.SendAsync(new SubmitCode(request.Code ?? "", "csharp")).ConfigureAwait(false);
                    Volatile.Write(ref running, false);
                    var failed = result.Events.OfType<CommandFailed>().FirstOrDefault();
                    Send(failed is null ? new WorkerEvent("done", Ok: true) : Failure(failed));
                    break;
                case "close":
                    // The chapter is over: its kernel goes, and the process serves the next chapter with a fresh one only
                    // when nothing of this chapter is left in it (see ChapterIsolation); otherwise the runner replaces it.
                    subscription.Dispose();
                    kernel.Dispose();
                    var leftover = isolation.Reset();
                    Send(new WorkerEvent("closed", Ok: leftover is null, Message: leftover));
                    if (leftover is not null)
                    {
                        return 0;
                    }

                    kernel = await StartKernelAsync().ConfigureAwait(false);
                    subscription = Subscribe(kernel);
                    break;
                case "exit":
                    subscription.Dispose();
                    kernel.Dispose();
                    return 0;
                default:
                    throw new InvalidDataException($"unknown request '{request.Op}'");
            }
        }

        subscription.Dispose();
        kernel.Dispose();
        return 0;
    }

    // A fresh kernel whose first submission has compiled: cold Roslyn takes seconds, which a spare worker pays while the
    // previous chapter runs; in a process that already served a chapter it takes tens of milliseconds.
    private static async Task<CompositeKernel> StartKernelAsync()
    {
        var kernel = CreateKernel();
        await kernel.SendAsync(new SubmitCode("System.Console.Write(\"\")", "csharp")).ConfigureAwait(false);
        return kernel;
    }

    /// <summary>
    /// The kernel a Polyglot or Jupyter C# notebook gets from the kernel tool (Microsoft.dotnet-interactive 1.0.712001), as far as its
    /// packages go: C# with the display helpers, #!who/#!whos, #!set/#!share, #r "nuget:" and #i (reached only when COURSE_ALLOW_NUGET=1
    /// lets such lines through), #!import, #!value, #!time, #!lsmagic, #!about and #!markdown.
    /// </summary>
    public static CompositeKernel CreateKernel()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, packages) =>
            {
                k.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseWho()
            .UseValueSharing();
        // As the tool composes them: C# also answers to #!c# and #!C#, and #!who/#!whos also work in the value kernel.
        var kernel = new CompositeKernel();
        kernel.Add(csharp, ["c#", "C#"]);
        kernel.Add(new KeyValueStoreKernel().UseWho());
        kernel.UseImportMagicCommand();
        UseTime(kernel);
        UseMarkdown(kernel);
        UseAbout(kernel);
        UseLsMagic(kernel);
        kernel.DefaultKernelName = "csharp";
        return kernel;
    }

    // The kernel tool's #!time lives in its own App assembly, which no package ships: the same directive, with the same output line.
    private static void UseTime(CompositeKernel kernel) =>
        kernel.AddDirective(new KernelActionDirective("#!time") { Description = "Time the execution of the rest of the cell." }, (command, context) =>
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            context.OnComplete(done =>
            {
                var elapsed = watch.Elapsed;
                done.Publish(new DisplayedValueProduced(elapsed, context.Command,
                    [new Microsoft.DotNet.Interactive.Formatting.FormattedValue("text/plain", $"Wall time: {elapsed.TotalMilliseconds}ms")]));
            });
            return Task.CompletedTask;
        });

    // #!markdown, #!about and #!lsmagic also live in the tool's App assembly: the same directives and outputs, re-made from the packages.
    private static void UseMarkdown(CompositeKernel kernel)
    {
        var pipeline = new Markdig.MarkdownPipelineBuilder().UseMathematics().UseAdvancedExtensions().Build();
        kernel.AddDirective(new KernelActionDirective("#!markdown") { Description = "Convert the code that follows from Markdown into HTML" }, (_, context) =>
        {
            if (context.Command is SubmitCode submit)
            {
                var html = Markdig.Markdown.ToHtml(submit.Code.Replace("#!markdown", "").Trim(), pipeline);
                context.Publish(new DisplayedValueProduced(html, context.Command, [new Microsoft.DotNet.Interactive.Formatting.FormattedValue("text/html", html)]));
                context.Complete(submit);
            }

            return Task.CompletedTask;
        });
    }

    private static void UseAbout(CompositeKernel kernel) =>
        kernel.AddDirective(new KernelActionDirective("#!about") { Description = "Show version and build information" }, (_, context) =>
        {
            var assembly = typeof(CompositeKernel).Assembly;
            var version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
            var build = File.GetLastWriteTimeUtc(assembly.Location).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
            var html = "<table><tbody><tr><td><p style=\"font-size:1.5em\"><b>.NET Interactive</b></p>"
                       + "<p>&#169; 2020-2026 Microsoft Corporation</p>"
                       + "<p><b>Host: </b>the course runner (lib/Course.Runner), not the kernel tool</p>"
                       + $"<p><b>Library version: </b>{System.Net.WebUtility.HtmlEncode(version)}</p>"
                       + $"<p><b>Build date: </b>{build}</p>"
                       + "<p><a href=\"https://github.com/dotnet/interactive\">https://github.com/dotnet/interactive</a></p></td></tr></tbody></table>";
            context.Publish(new DisplayedValueProduced(html, context.Command, [new Microsoft.DotNet.Interactive.Formatting.FormattedValue("text/html", html)]));
            return Task.CompletedTask;
        });

    // Added last, on the composite and every subkernel as the tool does, so that the listing includes every other directive.
    private static void UseLsMagic(CompositeKernel kernel)
    {
        kernel.VisitSubkernelsAndSelf(k => k.AddDirective(new KernelActionDirective("#!lsmagic") { Description = "List the available magic commands / directives" }, (_, context) =>
        {
            var root = context.HandlingKernel.RootKernel;
            Show(root);
            if (root is CompositeKernel composite)
            {
                foreach (var subkernel in composite.Where(s => s.KernelInfo.SupportedDirectives.Any(d => d.Name is "#!lsmagic")))
                {
                    Show(subkernel);
                }
            }

            return Task.CompletedTask;

            void Show(Microsoft.DotNet.Interactive.Kernel shown)
            {
                var directives = shown.KernelInfo.SupportedDirectives.Where(d => !d.Hidden).OrderBy(d => d.Name); // the culture order the tool lists in (#!c# before #!C#)
                var html = $"<div><h3>{Encode(shown.Name)} kernel</h3><div>{string.Concat(directives.Select(d => $"<div style=\"text-indent:1.5em\">{Summary(d, 0)}</div>"))}</div></div>";
                context.Publish(new DisplayedValueProduced(html, context.Command, [new Microsoft.DotNet.Interactive.Formatting.FormattedValue("text/html", html)]));
            }
        }));

        static string Encode(string? text) => System.Net.WebUtility.HtmlEncode(text ?? "");

        // The tool's layout: the name in the accent colour, its description indented below, subcommands nested.
        static string Summary(KernelDirective directive, double offset)
        {
            var next = 3 + offset;
            var text = $"<pre><span style=\"text-indent:{1.5 + offset:##.#}em; color:#512bd4\">{Encode(directive.Name)}</span></pre>"
                       + $"<div style=\"text-indent:{next:##.#}em\">{Encode(directive.Description)}</div>";
            if (directive is KernelActionDirective action)
            {
                text += string.Concat(action.Subcommands.Select(s => $"<div style=\"text-indent:{next:##.#}em\">{Summary(s, next)}</div>"));
            }

            return text;
        }
    }

    private static WorkerEvent? Translate(KernelEvent e) => e switch
    {
        StandardOutputValueProduced o => new WorkerEvent("stream", Name: "stdout", Text: PlainText(o)),
        StandardErrorValueProduced o => new WorkerEvent("stream", Name: "stderr", Text: PlainText(o)),
        DisplayedValueUpdated d => new WorkerEvent("update", ValueId: d.ValueId, Data: Bundle(d)),
        DisplayedValueProduced d => new WorkerEvent("display", ValueId: d.ValueId, Data: Bundle(d)),
        ReturnValueProduced r => new WorkerEvent("result", ValueId: r.ValueId, Data: Bundle(r)),
        _ => null,
    };

    private static string PlainText(DisplayEvent e) =>
        string.Concat(e.FormattedValues.Select(v => v.Value));

    private static Dictionary<string, string> Bundle(DisplayEvent e)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in e.FormattedValues)
        {
            data.TryAdd(value.MimeType, value.Value);
        }

        return data;
    }

    private static WorkerEvent Failure(CommandFailed failed)
    {
        var exception = failed.Exception;
        while (exception is AggregateException or System.Reflection.TargetInvocationException && exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        if (exception?.GetType().Name == "CodeSubmissionCompilationErrorException" || (exception is null && failed.Message.Contains(": error ", StringComparison.Ordinal)))
        {
            // "(2,9): error CS0103: ..." becomes "line 2, column 9: error CS0103: ...", counted within the cell as the learner sees it.
            var lines = CompilerPosition().Replace(exception?.Message ?? failed.Message, "line $1, column $2: ");
            return new WorkerEvent("done", Ok: false, ErrorName: "CompilationError", Message: lines, Traceback: [.. lines.Replace("\r\n", "\n").Split('\n')]);
        }

        var name = exception?.GetType().Name ?? "CommandFailed";
        var message = exception?.Message ?? failed.Message;
        // The kernel's and Roslyn's own frames say nothing about the notebook; keep the cell's frames and the library's.
        var traceback = (exception?.ToString() ?? failed.Message).Replace("\r\n", "\n").Split('\n')
            .Where(l => !l.TrimStart().StartsWith("at Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at Microsoft.DotNet.Interactive.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at System.Threading.", StringComparison.Ordinal)
                        && !l.TrimStart().StartsWith("at System.Runtime.CompilerServices.", StringComparison.Ordinal)
                        && !l.Contains("--- End of stack trace from previous location ---", StringComparison.Ordinal))
            .ToList();
        return new WorkerEvent("done", Ok: false, ErrorName: name, Message: message, Traceback: traceback);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\((\d+),(\d+)\): ")]
    private static partial System.Text.RegularExpressions.Regex CompilerPosition();

    private sealed class EventObserver(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(KernelEvent value) => onNext(value);
    }
}
