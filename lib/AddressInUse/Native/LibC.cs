using System.Reflection;
using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>The few libc socket calls the course makes itself, so that no runtime adds options behind the lesson's back.</summary>
internal static unsafe class LibC
{
    private const string Library = "libc";

    static LibC()
    {
        // "libc" is not a real file name: map it to glibc/musl's soname on Linux and libSystem on macOS.
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LibC).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A resolver was already set for this assembly; it is ours.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }
        string[] candidates = OperatingSystem.IsMacOS()
            ? new[] { "/usr/lib/libSystem.B.dylib", "libSystem.dylib" }
            : new[] { "libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so" };
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }

    /// <summary>Forces the static constructor (and so the resolver) to run before the first P/Invoke.</summary>
    public static void EnsureResolver() { }

    [DllImport(Library, SetLastError = true)]
    public static extern int kill(int pid, int signal);

    [DllImport(Library, SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(Library, SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, void* value, uint length);

    [DllImport(Library, SetLastError = true)]
    public static extern int getsockopt(int fd, int level, int name, void* value, uint* length);

    [DllImport(Library, SetLastError = true)]
    public static extern int bind(int fd, byte* address, uint length);

    [DllImport(Library, SetLastError = true)]
    public static extern int listen(int fd, int backlog);

    [DllImport(Library, SetLastError = true)]
    public static extern int connect(int fd, byte* address, uint length);

    [DllImport(Library, SetLastError = true)]
    public static extern int getsockname(int fd, byte* address, uint* length);

    [DllImport(Library, SetLastError = true)]
    public static extern int shutdown(int fd, int how);

    [DllImport(Library, SetLastError = true)]
    public static extern int close(int fd);
}
