// One description of the machine for the lab and the publisher: the lab's OsInfo (family, kernel, results.json "os").
global using OsInfo = AddressInUse.Native.OsInfo;
