# Sourced by the benchmarks: writes a throw-away console project that references the course library as the notebooks do.
# Usage: write_bench_project <folder> <path of AddressInUse.dll>. The target framework follows the library's (net10.0).
write_bench_project() {
  cat >"$1/bench.csproj" <<EOF2
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <Reference Include="$2" />
  </ItemGroup>
</Project>
EOF2
}
