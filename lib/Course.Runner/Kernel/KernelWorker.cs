using Markdig;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.PackageManagement;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Kernel;

/// <summary>The worker process: hosts a fresh real .NET Interactive C# kernel for each notebook behind the package's <see cref="KernelHost"/>.</summary>
/// <remarks>
/// The runner ends this process when a cell runs past its time limit or the run is cancelled: a cell that loops
/// without awaiting cannot be stopped inside the kernel's process, and the kernel redirects Console for the whole
/// process while a cell runs, so notebooks run one at a time in a process of their own. After a notebook ended normally
/// (<see cref="CloseNotebook"/>) the process serves the next one with a fresh kernel when <see cref="ChapterIsolation"/>
/// finds nothing of the notebook left in it (a fresh kernel in a warm process takes tens of milliseconds; a new process, seconds of CPU).
/// </remarks>
internal static class KernelWorker
{
    /// <summary>Serves the runner over standard input and output until standard input closes (the runner went away or is done).</summary>
    public static async Task<int> RunAsync()
    {
        // The raw streams, not Console.Out/In: the kernel swaps Console's writers while a cell runs.
        var events = Console.OpenStandardOutput();
        var commands = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        var errors = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };

        // A cell may run for minutes without reading the command pipe, so the runner's death is watched for apart from it.
        ParentWatch.Start();

        // A cell that reads standard input gets end-of-input at once instead of waiting for the time limit on the runner's pipe.
        Console.SetIn(TextReader.Null);

        WorkerProtocol.RegisterCommands();
        // The package's KernelHost takes command envelopes from a receiver and sends every kernel event through a sender as an
        // envelope; its own stdio pair is not used (FromTextReader spins once input ends; see EventLineWriter and CommandFeed).
        var sender = new EventLineWriter(events);

        // Created before the first command, so that kernel start-up overlaps with the runner's own work.
        var (kernel, host, feed) = await StartKernelAsync(sender).ConfigureAwait(false);
        var isolation = ChapterIsolation.Capture();
        // Set when a notebook left something in this process: every later command is refused with it, until the runner ends the process.
        string? notReusable = null;
        try
        {
            // Commands are read here and handed to the current kernel's host, so that a kernel can be replaced without a
            // second reader on the same input; the host runs each command on its own loop, so a long cell never blocks this one.
            while (await commands.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                CommandOrEvent command;
                try
                {
                    command = Serializer.DeserializeCommandOrEvent(line);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or KeyNotFoundException or InvalidOperationException)
                {
                    // The runner writes only envelopes; anything else is a bug worth seeing in the stderr tail the runner reports.
                    await errors.WriteLineAsync($"course kernel worker: not a command envelope ({e.Message}): {line}").ConfigureAwait(false);
                    continue;
                }

                if (notReusable is not null && command.Command is { } refused)
                {
                    await sender.SendAsync(new CommandFailed($"not reusable for another notebook: {notReusable}", refused), CancellationToken.None).ConfigureAwait(false);
                    continue;
                }

                if (command.Command is { } kernelCommand)
                {
                    sender.Started(kernelCommand);
                }

                feed.Publish(command);
                if (command.Command is CloseNotebook)
                {
                    // The notebook is over once its CloseNotebook has completed: its kernel goes, and the next notebook gets a fresh
                    // one in this process only when nothing of this one is left in it (ChapterIsolation). Otherwise the runner's next
                    // command (RequestKernelInfo) is refused naming what was left, and the runner ends this process with its tree.
                    await sender.RunningCommandsEndedAsync().ConfigureAwait(false);
                    host.Dispose();
                    feed.Dispose();
                    kernel.Dispose();
                    notReusable = isolation.Reset();
                    if (notReusable is null)
                    {
                        (kernel, host, feed) = await StartKernelAsync(sender).ConfigureAwait(false);
                    }
                }
            }

            // The runner closed the input, or the commands came from a pipe: what was sent still runs to its end.
            await sender.RunningCommandsEndedAsync().ConfigureAwait(false);
        }
        finally
        {
            if (notReusable is null)
            {
                host.Dispose();
                kernel.Dispose();
            }
        }

        return 0;
    }

    // A kernel behind a connected host, its first submission compiled: cold Roslyn takes seconds, which a spare worker pays
    // while the previous chapter runs; in a process that already served a notebook it takes tens of milliseconds. The warm-up runs before the host connects, so none of its events reach the runner.
    private static async Task<(CompositeKernel Kernel, KernelHost Host, CommandFeed Feed)> StartKernelAsync(EventLineWriter sender)
    {
        var kernel = CreateKernel();
        kernel.RegisterCommandHandler<OpenNotebook>((open, _) =>
        {
            // The kernel resolves relative #r paths against the process's current directory.
            Directory.SetCurrentDirectory(open.Directory);
            return Task.CompletedTask;
        });
        // Nothing to do in the kernel: the worker's input loop replaces the kernel once this command has completed.
        kernel.RegisterCommandHandler<CloseNotebook>((_, _) => Task.CompletedTask);
        await kernel.SendAsync(new SubmitCode("System.Console.Write(\"\")", "csharp")).ConfigureAwait(false);
        var feed = new CommandFeed();
        // UseHost ties the feed's lifetime to the kernel's: disposing the kernel ends the host's subscription to it.
        var host = kernel.UseHost(sender, feed, KernelHost.CreateHostUriForCurrentProcessId());
        await host.ConnectAsync().ConfigureAwait(false);
        return (kernel, host, feed);
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
}
