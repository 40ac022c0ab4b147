global using Course.TestUtilities;
global using Course.Runner.TestUtilities;
global using Xunit;
