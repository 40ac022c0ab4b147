namespace AddressInUse.Native;

/// <summary>The operating-system families whose socket behaviour the course compares.</summary>
public enum OsFamily
{
    /// <summary>Linux (glibc or musl).</summary>
    Linux,
    /// <summary>macOS (Darwin, BSD sockets).</summary>
    MacOS,
    /// <summary>Windows (Winsock).</summary>
    Windows,
    /// <summary>Anything else; experiments refuse to run there.</summary>
    Other,
}
