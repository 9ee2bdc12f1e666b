#!/usr/bin/env bash
# Builds and lints every Bicep file under infra/ with a pinned Bicep CLI and fails on ANY
# error or warning (the linter only reports warnings; it does not fail on them by itself).
#
# The Bicep CLI comes from NuGet (Azure.Bicep.CommandLine.<rid>), restored by a throwaway
# project into a cache directory, so the only network this needs is the NuGet source
# configured for `dotnet restore` -- and none once the cache is warm. The infra uses no
# registry modules, so `bicep build`/`bicep lint` themselves run offline.
#
# Environment overrides:
#   BICEP_VERSION     Bicep CLI version (default 0.49.2)
#   BICEP_RID         package runtime id (default: detected, e.g. linux-x64)
#   BICEP_CACHE_DIR   where the package is restored (default: <repo>/.ovrsee/bicep-cli, gitignored)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="$ROOT/infra"
BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
CACHE_DIR="${BICEP_CACHE_DIR:-$ROOT/.ovrsee/bicep-cli}"

detect_rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux
      if ldd --version 2>&1 | grep -qi musl; then os=linux-musl; fi ;;
    Darwin) os=osx ;;
    *) echo "bicep-check: unsupported OS $(uname -s); set BICEP_RID" >&2; exit 2 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "bicep-check: unsupported CPU $(uname -m); set BICEP_RID" >&2; exit 2 ;;
  esac
  echo "$os-$arch"
}

RID="${BICEP_RID:-$(detect_rid)}"
PACKAGE_ID="Azure.Bicep.CommandLine.$RID"
PACKAGES_DIR="$CACHE_DIR/packages"
PACKAGE_DIR="$PACKAGES_DIR/$(echo "$PACKAGE_ID" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# bicep is a self-contained single-file .NET app: keep anything it extracts inside the cache.
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="$CACHE_DIR/extract"
# No telemetry or tracing from the Bicep CLI.
export BICEP_TRACING_ENABLED=false

find_bicep() {
  [ -d "$PACKAGE_DIR" ] || return 0
  find "$PACKAGE_DIR" -type f \( -name bicep -o -name bicep.exe \) -path '*/tools/*' 2>/dev/null | head -n 1
}

restore_bicep() {
  local work nuget_config=()
  work="$(mktemp -d)"
  # Outside the repository on purpose: no Directory.Build.props / central package versions.
  cat >"$work/bicep-cli.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net\$(BundledNETCoreAppTargetFrameworkVersion)</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <DisableImplicitNuGetFallbackFolder>true</DisableImplicitNuGetFallbackFolder>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE_ID" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
EOF
  for candidate in nuget.config NuGet.Config NuGet.config; do
    if [ -f "$ROOT/$candidate" ]; then nuget_config=(--configfile "$ROOT/$candidate"); break; fi
  done
  mkdir -p "$PACKAGES_DIR"
  if ! dotnet restore "$work/bicep-cli.csproj" --packages "$PACKAGES_DIR" "${nuget_config[@]}" >"$work/restore.log" 2>&1; then
    cat "$work/restore.log" >&2
    rm -rf "$work"
    echo "bicep-check: could not restore $PACKAGE_ID $BICEP_VERSION from NuGet" >&2
    exit 2
  fi
  rm -rf "$work"
}

BICEP="$(find_bicep)"
if [ -z "$BICEP" ]; then
  restore_bicep
  BICEP="$(find_bicep)"
fi
if [ -z "$BICEP" ]; then
  echo "bicep-check: no bicep executable found under $PACKAGE_DIR" >&2
  exit 2
fi
chmod +x "$BICEP"
mkdir -p "$DOTNET_BUNDLE_EXTRACT_BASE_DIR"

if ! "$BICEP" --version 2>&1 | grep -q "$BICEP_VERSION"; then
  echo "bicep-check: $BICEP is not Bicep $BICEP_VERSION: $("$BICEP" --version 2>&1)" >&2
  exit 2
fi

mapfile -t FILES < <(cd "$ROOT" && find infra -type f -name '*.bicep' | LC_ALL=C sort)
if [ "${#FILES[@]}" -eq 0 ]; then
  echo "bicep-check: no .bicep files under infra/" >&2
  exit 2
fi

# Entry points azd deploys: main.bicep (azd provision) and infra/<service>.bicep (azd deploy).
mapfile -t ENTRY_POINTS < <(cd "$ROOT" && find infra -maxdepth 1 -type f -name '*.bicep' | LC_ALL=C sort)

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
failed_commands=0

run() {
  # Diagnostics go to stderr, the compiled template (--stdout) to stdout; keep only the former.
  if ! (cd "$ROOT" && "$BICEP" "$@" 2>>"$LOG" >/dev/null); then
    failed_commands=$((failed_commands + 1))
    echo "bicep-check: 'bicep $*' exited non-zero" >>"$LOG"
  fi
}

for file in "${ENTRY_POINTS[@]}"; do
  run build "$file" --stdout
done
for file in "${FILES[@]}"; do
  run lint "$file"
done

# A module's diagnostics are reported again by every file that references it: de-duplicate.
diagnostics="$(grep -E ' : (Error|Warning) ' "$LOG" | LC_ALL=C sort -u || true)"
errors="$(printf '%s\n' "$diagnostics" | grep -c ' : Error ' || true)"
warnings="$(printf '%s\n' "$diagnostics" | grep -c ' : Warning ' || true)"

if [ -n "$diagnostics" ]; then printf '%s\n' "$diagnostics" >&2; fi
if [ "$failed_commands" -gt 0 ]; then grep '^bicep-check:' "$LOG" >&2 || true; fi

summary="bicep-check: Bicep $BICEP_VERSION, ${#ENTRY_POINTS[@]} built, ${#FILES[@]} linted: $errors error(s), $warnings warning(s)"
if [ "$errors" -gt 0 ] || [ "$warnings" -gt 0 ] || [ "$failed_commands" -gt 0 ]; then
  echo "$summary -- FAILED" >&2
  exit 1
fi
echo "$summary -- OK"
