using System.Diagnostics;

namespace AddressInUse.Child;

/// <summary>The environment every process the course starts gets: no runtime diagnostics files in /tmp, no telemetry.</summary>
public static class ChildEnvironment
{
    /// <summary>The variable that turns the .NET runtime's debugger pipes and diagnostics IPC socket off.</summary>
    public const string DiagnosticsVariable = "DOTNET_EnableDiagnostics";

    /// <summary>Sets the variables on a start info and returns it.</summary>
    /// <remarks>Every .NET process otherwise creates clr-debug-pipe-* and dotnet-diagnostic-* in TMPDIR, and a killed one never
    /// removes them (3 files per killed worker or child server were counted); nothing of the course attaches a debugger to them.</remarks>
    public static ProcessStartInfo Apply(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.Environment[DiagnosticsVariable] = "0";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }
}
