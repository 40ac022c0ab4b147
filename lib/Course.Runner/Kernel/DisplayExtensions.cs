namespace Course.Runner.Kernel;

/// <summary>The value.Display() extension the Polyglot C# kernel offers, for notebooks that use it instead of display(value).</summary>
public static class DisplayExtensions
{
    /// <summary>Shows the value as a display_data output of the running cell and returns a handle to update it.</summary>
    public static DisplayedValue Display(this object? value, params string[] mimeTypes) =>
        (ScriptGlobals.Active ?? throw new InvalidOperationException(
            "Display() was called while no notebook is running. Fix: call it from notebook cell code."))
        .Show(value, mimeTypes);
}
