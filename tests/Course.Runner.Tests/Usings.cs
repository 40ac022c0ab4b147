global using Course.TestUtilities;
global using Course.Runner.TestUtilities;
global using Xunit;
global using OsInfo = AddressInUse.Native.OsInfo;
