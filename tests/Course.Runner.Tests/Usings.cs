global using Course.TestUtilities;
global using Xunit;
global using OsInfo = AddressInUse.Native.OsInfo;
