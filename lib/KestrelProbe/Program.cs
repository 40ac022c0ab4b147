using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

// Usage: KestrelProbe <port> [localhost]. Starts Kestrel on http://127.0.0.1:<port>, or with "localhost" on http://localhost:<port>
// (Kestrel binds that as 127.0.0.1 and [::1]; loopback only, never another address), prints one JSON line saying whether it started
// and, if not, the chain of exceptions it threw, then stops. Exit 0 started, 1 refused, 2 bad input.
if (args.Length is < 1 or > 2 || !int.TryParse(args[0], out var port) || port is < 1 or > 65535 || (args.Length == 2 && args[1] != "localhost"))
{
    Console.Error.WriteLine("usage: KestrelProbe <port 1-65535> [localhost] (it binds http://127.0.0.1:<port>, or http://localhost:<port>, only)");
    return 2;
}
var localhost = args.Length == 2;

var builder = WebApplication.CreateSlimBuilder();
// The chapter shows the exception; Kestrel's own console log would repeat it in another shape.
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    if (localhost)
    {
        kestrel.ListenLocalhost(port);
    }
    else
    {
        kestrel.Listen(IPAddress.Loopback, port);
    }
});
await using var app = builder.Build();
try
{
    await app.StartAsync();
    await app.StopAsync();
    Console.WriteLine(new JsonObject { ["started"] = true }.ToJsonString());
    return 0;
}
catch (Exception e)
{
    var chain = new JsonArray();
    for (var inner = e; inner is not null; inner = inner.InnerException)
    {
        chain.Add(new JsonObject
        {
            ["type"] = inner.GetType().FullName,
            ["message"] = inner.Message,
            ["socket_error"] = inner is SocketException s ? s.SocketErrorCode.ToString() : null,
            ["native_error_code"] = inner is SocketException n ? n.NativeErrorCode : null,
        });
    }
    Console.WriteLine(new JsonObject { ["started"] = false, ["exceptions"] = chain }.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    return 1;
}
