#!/usr/bin/env bash
# Runs the Python SDK's tests: fastmcp parity, the guest export, definition errors, the conformance
# fixture, and real componentize-py builds. Uses the tools venv from tests/tools/setup.sh unless
# BERTH_PYTHON names another interpreter (it needs pytest, fastmcp 4.1.2 and componentize-py 0.25.1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${BERTH_PYTHON:-$HOME/.cache/berth-tools/venv/bin/python}"
if [ ! -x "$python" ]; then
  echo "Python SDK tests: $python not found; run tests/tools/setup.sh or set BERTH_PYTHON" >&2
  exit 1
fi
cd "$here"
exec "$python" -m pytest -q -p no:cacheprovider tests "$@"
