using Course.Runner.Kernel;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Tests.Kernel;

/// <summary>A failed cell read back from the package's CommandFailed envelope, which carries the message but not the exception.</summary>
public sealed class KernelErrorTests
{
    [Fact]
    public void From_AThrownException_NameIsItsShortTypeNameAndMessageItsMessage()
    {
        var error = KernelError.From(OverTheWire(Thrown(new InvalidOperationException("boom\nsecond line"))));

        Assert.Equal("InvalidOperationException", error.Name);
        Assert.Equal("boom\nsecond line", error.Message);
        Assert.False(error.IsCompilation);
        Assert.Contains(error.Traceback, line => line.TrimStart().StartsWith("at Course.Runner.Tests.Kernel.KernelErrorTests.", StringComparison.Ordinal));
    }

    [Fact]
    public void From_AnAggregateException_NamesTheExceptionItWraps()
    {
        var error = KernelError.From(OverTheWire(Thrown(new AggregateException(new TimeoutException("too slow")))));

        Assert.Equal("TimeoutException", error.Name);
        Assert.Equal("too slow", error.Message);
    }

    [Fact]
    public void From_AnExceptionWithAnInnerOne_KeepsTheOuterNameAndItsOwnMessage()
    {
        var error = KernelError.From(OverTheWire(Thrown(new InvalidDataException("bad file", new FormatException("bad digit")))));

        Assert.Equal("InvalidDataException", error.Name);
        Assert.Equal("bad file", error.Message);
        Assert.Contains(error.Traceback, line => line.Contains("FormatException: bad digit", StringComparison.Ordinal));
    }

    [Fact]
    public void From_ATypeDeclaredInACell_NameIsTheNestedTypeName()
    {
        var error = KernelError.From(new CommandFailed("Submission#3+LabError: port taken\n   at Submission#4.<<Initialize>>d__0.MoveNext()", new SubmitCode("")));

        Assert.Equal("LabError", error.Name);
        Assert.Equal("port taken", error.Message);
    }

    [Fact]
    public void From_CompilerDiagnostics_IsACompilationErrorWithPositionsAsLineAndColumn()
    {
        var error = KernelError.From(OverTheWire(new CommandFailed(
            "(2,9): error CS0103: The name 'nope' does not exist in the current context\n(3,1): error CS1002: ; expected", new SubmitCode(""))));

        Assert.True(error.IsCompilation);
        Assert.Equal(
            ["line 2, column 9: error CS0103: The name 'nope' does not exist in the current context", "line 3, column 1: error CS1002: ; expected"],
            error.Traceback);
    }

    [Fact]
    public void From_AKernelMessageThatIsNoException_IsNamedCommandFailed()
    {
        var error = KernelError.From(OverTheWire(new CommandFailed("Command cancelled", new SubmitCode(""))));

        Assert.Equal("CommandFailed", error.Name);
        Assert.Equal("Command cancelled", error.Message);
    }

    private static CommandFailed Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception e)
        {
            return new CommandFailed(e, new SubmitCode("throw"));
        }
    }

    // What the runner reads: the envelope the worker's host writes, deserialised.
    private static CommandFailed OverTheWire(CommandFailed failed)
    {
        var read = Assert.IsType<CommandFailed>(KernelEventEnvelope.Deserialize(KernelEventEnvelope.Serialize(failed)).Event);
        Assert.Null(read.Exception);
        return read;
    }
}
