using Course.Runner.Html;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Pipeline;

/// <summary>A chapter read once for the whole run: its notebook (or why it could not be read), title and summary.</summary>
/// <param name="Chapter">The chapter's file.</param>
/// <param name="Notebook">The notebook as read, or null when it is not a readable nbformat 4 notebook.</param>
/// <param name="Problem">Why it could not be read (the reader's message naming the fix), or null.</param>
public sealed record LoadedChapter(Chapter Chapter, InteractiveDocument? Notebook, string? Problem)
{
    /// <summary>The title its page, its neighbours' links and the index show (the file name when it could not be read).</summary>
    public string Title { get; } = Notebook is null ? Chapter.Name : ChapterPageRenderer.TitleOf(Notebook, Chapter.Name);

    /// <summary>What the index says of it, or null when it could not be read.</summary>
    public ChapterSummary? Summary { get; } = Notebook is null ? null : ChapterSummary.Of(Notebook, Chapter.Name);

    /// <summary>Reads the chapter's notebook once.</summary>
    public static LoadedChapter Load(Chapter chapter)
    {
        try
        {
            return new LoadedChapter(chapter, NotebookReader.ReadFile(chapter.Path), null);
        }
        catch (NotebookFormatException e)
        {
            return new LoadedChapter(chapter, null, e.Message);
        }
    }
}
