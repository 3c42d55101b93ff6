"""componentize-py builds a component from each project with this SDK (pre-initialization included).

Building runs the module's top level inside CPython-on-WASI, so this proves the SDK imports there and
that ``load_entry`` accepts the project. A smoke step also runs an async tool at build time, which
exercises the SDK's event loop under WASI.
"""

import subprocess

import pytest

from conftest import REPO, SDK_DIR, WIT_DIR, componentize_py

PROJECTS = {
    "conformance": REPO / "tests" / "fixtures" / "conformance",
    "hello": REPO / "sandbox" / "examples" / "hello",
    "bench": REPO / "sandbox" / "examples" / "bench",
}

APP = 'from berth_sdk.guest import load_entry\nGuest = load_entry("server", "mcp")\n'

# Runs at build time inside WASI; a failed assert fails the build.
SMOKE = '''import time
import server
started = time.monotonic()
blocks, _, is_error = server.mcp.call_tool("test_reconnection", {})
assert not is_error and blocks[0]["text"].startswith("Reconnection"), blocks
assert time.monotonic() - started >= 0.09, "asyncio.sleep did not wait under WASI"
'''


def _build(tmp_path, project, app_source):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "berth_app.py").write_text(app_source)
    out = tmp_path / "out.wasm"
    proc = subprocess.run(
        [componentize_py(), "-d", str(WIT_DIR), "-w", "server", "componentize", "berth_app",
         "-p", str(staging), "-p", str(SDK_DIR), "-p", str(project), "-o", str(out)],
        capture_output=True, text=True)
    return proc, out


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_componentize_builds(tmp_path, name):
    proc, out = _build(tmp_path, PROJECTS[name], APP)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.stat().st_size > 1_000_000 and out.read_bytes()[:4] == b"\0asm"


def test_async_tools_run_under_wasi(tmp_path):
    proc, _ = _build(tmp_path, PROJECTS["conformance"], SMOKE + APP)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_definition_error_fails_the_build_with_location(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "server.py").write_text(
        "from fastmcp import FastMCP\nmcp = FastMCP('x')\n\n@mcp.resource('data://{id}')\n"
        "def r(name: str) -> str:\n    return name\n")
    proc, _ = _build(tmp_path, project, APP)
    assert proc.returncode != 0
    assert "server.py:4: resource template 'data://{id}'" in proc.stderr
