#!/usr/bin/env bash
# A stand-in "VS Code executable" for machines where no VS Code desktop build can be downloaded (offline here).
# Give it to @vscode/test-electron as runTests({ vscodeExecutablePath: '<repo>/scripts/vscode-host/code-shim.sh' })
# or to @vscode/test-cli as useInstallation: { fromPath: './scripts/vscode-host/code-shim.sh' }.
# It takes the arguments those tools pass to VS Code (--extensionTestsPath=..., --extensionDevelopmentPath=...,
# an optional folder to open; Electron-only flags such as --no-sandbox, --user-data-dir, --extensions-dir are
# ignored) and runs the tests in code-server's real Node extension host via run.mjs test, exiting with its code.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

tests="" dev="" folder=""
args=("$@")
i=0
while [ $i -lt ${#args[@]} ]; do
  a="${args[$i]}"
  case "$a" in
    --extensionTestsPath=*) tests="${a#*=}" ;;
    --extensionTestsPath) i=$((i + 1)); tests="${args[$i]:-}" ;;
    --extensionDevelopmentPath=*) [ -n "$dev" ] && echo "code-shim: only the first --extensionDevelopmentPath is used" >&2 || dev="${a#*=}" ;;
    --extensionDevelopmentPath) i=$((i + 1)); [ -n "$dev" ] || dev="${args[$i]:-}" ;;
    --version|-v) echo "1.139.1"; echo "code-server-shim"; echo "x64"; exit 0 ;;
    --folder-uri=file://*) folder="${a#--folder-uri=file://}" ;;
    -*) ;; # VS Code desktop / Electron flags: not applicable to code-server
    *) folder="$a" ;;
  esac
  i=$((i + 1))
done

[ -n "$tests" ] || { echo "code-shim: no --extensionTestsPath given (args: $*)" >&2; exit 2; }
export VSCODE_TESTS_PATH="$tests"
[ -z "$dev" ] || export VSCODE_EXT_DEV_PATH="$dev"
[ -z "$folder" ] || export VSCODE_TEST_WORKSPACE="$folder"
exec node "$HERE/run.mjs" test
