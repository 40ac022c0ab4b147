using System.Net.NetworkInformation;
using AddressInUse.Child;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Native;

/// <summary>The Windows and macOS code paths pinned against their documented values, so they are checked where they cannot run.</summary>
public sealed class WindowsAndMacOSPathTests
{
    // winerror.h / winsock2.h: WSABASEERR 10000 + the BSD number, for the names Winsock defines.
    public static TheoryData<string, int> WinsockCodes => new()
    {
        { "WSAEINTR", 10004 }, { "WSAEBADF", 10009 }, { "WSAEACCES", 10013 }, { "WSAEFAULT", 10014 }, { "WSAEINVAL", 10022 },
        { "WSAEMFILE", 10024 }, { "WSAEWOULDBLOCK", 10035 }, { "WSAEINPROGRESS", 10036 }, { "WSAEALREADY", 10037 },
        { "WSAENOTSOCK", 10038 }, { "WSAEMSGSIZE", 10040 }, { "WSAENOPROTOOPT", 10042 }, { "WSAEPROTONOSUPPORT", 10043 },
        { "WSAEOPNOTSUPP", 10045 }, { "WSAEAFNOSUPPORT", 10047 }, { "WSAEADDRINUSE", 10048 }, { "WSAEADDRNOTAVAIL", 10049 },
        { "WSAENETDOWN", 10050 }, { "WSAENETUNREACH", 10051 }, { "WSAENETRESET", 10052 }, { "WSAECONNABORTED", 10053 },
        { "WSAECONNRESET", 10054 }, { "WSAENOBUFS", 10055 }, { "WSAEISCONN", 10056 }, { "WSAENOTCONN", 10057 },
        { "WSAESHUTDOWN", 10058 }, { "WSAETIMEDOUT", 10060 }, { "WSAECONNREFUSED", 10061 }, { "WSAEHOSTUNREACH", 10065 },
        { "WSANOTINITIALISED", 10093 },
    };

    // XNU bsd/sys/errno.h (Darwin numbers, which differ from Linux above 34).
    public static TheoryData<string, int> DarwinErrno => new()
    {
        { "EPERM", 1 }, { "EBADF", 9 }, { "EACCES", 13 }, { "EINVAL", 22 }, { "EMFILE", 24 }, { "EPIPE", 32 }, { "EAGAIN", 35 },
        { "EINPROGRESS", 36 }, { "ENOPROTOOPT", 42 }, { "EAFNOSUPPORT", 47 }, { "EADDRINUSE", 48 }, { "EADDRNOTAVAIL", 49 },
        { "ENETUNREACH", 51 }, { "ECONNABORTED", 53 }, { "ECONNRESET", 54 }, { "ENOBUFS", 55 }, { "EISCONN", 56 },
        { "ENOTCONN", 57 }, { "ETIMEDOUT", 60 }, { "ECONNREFUSED", 61 }, { "EOPNOTSUPP", 102 },
    };

    [Theory]
    [MemberData(nameof(WinsockCodes))]
    public void WindowsErrno_DocumentedWinsockCode_HasItsWinsockName(string name, int number)
    {
        Assert.Equal(name, Errno.From(number, OsFamily.Windows).Name);
        Assert.Equal(number, Errno.NumberOf(name, OsFamily.Windows));
    }

    [Theory]
    [InlineData("WSAEPERM", 10001)]
    [InlineData("WSAEPIPE", 10032)]
    public void WindowsErrno_NameWinsockDoesNotDefine_IsNeverReported(string name, int number)
    {
        // Winsock has no such code: reporting one would invent a Windows error.
        Assert.Null(Errno.NumberOf(name, OsFamily.Windows));
        Assert.NotEqual(name, Errno.From(number, OsFamily.Windows).Name);
    }

    [Fact]
    public void WindowsErrno_EveryName_IsAWinsockNameInTheWinsockRange()
    {
        foreach (var (number, entry) in ErrnoTables.Windows)
        {
            Assert.InRange(number, 10000, 11100);
            Assert.StartsWith("WSA", entry.Name, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(DarwinErrno))]
    public void MacOSErrno_DocumentedXnuNumber_HasItsName(string name, int number)
    {
        Assert.Equal(name, Errno.From(number, OsFamily.MacOS).Name);
        Assert.Equal(number, Errno.NumberOf(name, OsFamily.MacOS));
    }

    [Fact]
    public void WindowsConstants_Winsock2Header_MatchDocumentedValues()
    {
        var w = NativeConstants.Windows;
        // winsock2.h: SOL_SOCKET 0xffff, SO_REUSEADDR 0x0004, SO_LINGER 0x0080, SO_EXCLUSIVEADDRUSE ((int)(~SO_REUSEADDR)) = -5, AF_INET6 23.
        Assert.Equal((0xffff, 4, -5, 0x80, 2, 23), (w.SolSocket, w.SoReuseAddr, w.SoExclusiveAddrUse!.Value, w.SoLinger, w.AfInet, w.AfInet6));
        Assert.Equal((1, 2, 6, 17), (w.SockStream, w.SockDgram, w.IpProtoTcp, w.IpProtoUdp));
        Assert.Null(w.SoReusePort);
        Assert.False(w.SockaddrHasLength);
    }

    [Fact]
    public void MacOSConstants_XnuSocketHeader_MatchDocumentedValues()
    {
        var m = NativeConstants.MacOS;
        // XNU bsd/sys/socket.h: SOL_SOCKET 0xffff, SO_REUSEADDR 0x4, SO_REUSEPORT 0x200, SO_LINGER 0x80, AF_INET6 30; sockaddr starts with sin_len.
        Assert.Equal((0xffff, 4, 0x200, 0x80, 2, 30), (m.SolSocket, m.SoReuseAddr, m.SoReusePort!.Value, m.SoLinger, m.AfInet, m.AfInet6));
        Assert.Null(m.SoExclusiveAddrUse);
        Assert.True(m.SockaddrHasLength);
    }

    [Fact]
    public void TcpTableRead_IpHelperFailsTwiceThenAnswers_ReturnsTheThirdRead()
    {
        // Wine's iphlpapi fails a read now and then with ERROR_OUTOFMEMORY (14); one such read must not end an experiment.
        var calls = 0;
        var entries = TcpTable.RetryTransient(() => ++calls <= 2 ? throw new NetworkInformationException(14) : new[] { calls });
        Assert.Equal(3, calls);
        Assert.Equal([3], entries);
    }

    [Fact]
    public void TcpTableRead_IpHelperFailsEveryTime_SaysWhichCallFailedWithItsCode()
    {
        var calls = 0;
        var e = Assert.Throws<InvalidOperationException>(() => TcpTable.RetryTransient<int>(() => { calls++; throw new NetworkInformationException(14); }));
        Assert.Equal(TcpTable.GlobalPropertiesAttempts, calls);
        Assert.Contains("IPGlobalProperties failed 5 times", e.Message, StringComparison.Ordinal);
        Assert.Contains("error 14", e.Message, StringComparison.Ordinal);
        Assert.IsType<NetworkInformationException>(e.InnerException);
    }

    [Fact]
    public void TcpTableRead_OtherException_IsNotRetried()
    {
        var calls = 0;
        Assert.Throws<IOException>(() => TcpTable.RetryTransient<int>(() => { calls++; throw new IOException("not the IP helper"); }));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void ChildCommand_SelfContainedPublish_StartsTheLibrarysOwnAppHost()
    {
        using var folder = new TempDirectory();
        var library = Path.Combine(folder.Path, "AddressInUse.dll");
        File.WriteAllText(library, "");
        File.WriteAllText(Path.Combine(folder.Path, "AddressInUse.exe"), "");

        var (program, prefix) = ChildCommand.For(library, folder.Path, "dotnet.exe", windows: true);

        Assert.Equal(Path.Combine(folder.Path, "AddressInUse.exe"), program);
        Assert.Empty(prefix);
    }

    [Fact]
    public void ChildCommand_SelfContainedWithoutAppHost_SaysHowToPublish()
    {
        using var folder = new TempDirectory();
        var library = Path.Combine(folder.Path, "AddressInUse.dll");
        File.WriteAllText(library, "");

        var e = Assert.Throws<InvalidOperationException>(() => ChildCommand.For(library, folder.Path, "dotnet.exe", windows: true));

        Assert.Contains("UseAppHost=true", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChildCommand_FrameworkDependent_RunsTheLibraryThroughDotnetExec()
    {
        using var folder = new TempDirectory();
        var library = Path.Combine(folder.Path, "AddressInUse.dll");

        var (program, prefix) = ChildCommand.For(library, "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0", "/usr/bin/dotnet", windows: false);

        Assert.Equal("/usr/bin/dotnet", program);
        Assert.Equal(new[] { "exec", library }, prefix);
    }

    [Fact]
    public void WineLabel_VersionAndHost_SaysEmulationNotWindows()
    {
        Assert.Equal("Windows code path under Wine 8.0 on Linux 6.1.0 — an emulation, not Windows", WineHost.DescribeEmulation("8.0", "Linux", "6.1.0"));
    }

    [Fact]
    public void CurrentName_OnThisNativeOs_IsNeverWine()
    {
        // Only a Windows process under Wine files its results as "wine"; a native run keeps its OS's folder.
        Assert.False(WineHost.IsWine);
        Assert.Equal(OsInfo.FolderName(OsInfo.Current), OsInfo.CurrentName);
    }

    [Fact]
    public void ClaimsLedger_JudgedOnWine_GivesNoVerdictButNotMeasured()
    {
        var matrix = new PortSharingMatrix(PortSharingPlan.Full(OsFamily.Windows), [], [], [], TimeSpan.Zero);

        var ledger = ClaimsLedger.JudgeOn(WineHost.FolderName, matrix, null, []);

        Assert.Equal("wine", ledger.Os);
        Assert.NotEmpty(ledger.Verdicts);
        Assert.All(ledger.Verdicts, v => Assert.Equal(Verdict.NotMeasured, v.Judgement.Verdict));
        Assert.All(ledger.Cases, c => Assert.Equal("not_measured", c.Outcome));
    }
}
