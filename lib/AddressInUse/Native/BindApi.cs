namespace AddressInUse.Native;

/// <summary>Which API the server uses to bind: the OS's own bind() with exactly the named options, or plain .NET.</summary>
public enum BindApi
{
    /// <summary>The OS's bind() with exactly the options the lesson names ("native" in results.json).</summary>
    Native,
    /// <summary>Plain .NET Socket.Bind, with whatever .NET adds by itself ("dotnet" in results.json).</summary>
    Dotnet,
}
