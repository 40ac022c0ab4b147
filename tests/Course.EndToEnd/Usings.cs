global using Course.TestUtilities;
global using Xunit;
