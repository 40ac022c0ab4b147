namespace AddressInUse.Native;

/// <summary>The outcome of one socket call (bind, listen, connect…): "ok" or the OS error it returned.</summary>
/// <param name="Step">The call: "bind", "listen", "connect", "setsockopt" or "socket".</param>
/// <param name="Error">The OS error, or null when the call succeeded.</param>
public sealed record StepResult(string Step, Errno? Error)
{
    /// <summary>Whether the call succeeded.</summary>
    public bool Ok => Error is null;

    /// <summary>"ok" or the errno name, as results.json records it.</summary>
    public string Outcome => Error?.Name ?? "ok";

    /// <summary>A success of the given step.</summary>
    public static StepResult Success(string step) => new(step, null);

    /// <summary>Runs a .NET socket call and records its outcome: "ok", or the OS error its <see cref="System.Net.Sockets.SocketException"/> carries.</summary>
    public static StepResult Of(string step, Action call)
    {
        try
        {
            call();
            return Success(step);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // On Unix .NET reports the OS's own errno here, on Windows the WSA code: both are what the lesson shows.
            return new StepResult(step, Errno.FromCurrentOs(e.NativeErrorCode));
        }
    }

    /// <summary>Throws a <see cref="NativeSocketException"/> when the call failed, for steps an experiment cannot go on without; returns this otherwise.</summary>
    public StepResult ThrowIfFailed() => Ok ? this : throw new NativeSocketException(this);

    /// <summary>"bind: ok" or "bind: EADDRINUSE (98)".</summary>
    public override string ToString() => Ok ? $"{Step}: ok" : $"{Step}: {Error}";
}
