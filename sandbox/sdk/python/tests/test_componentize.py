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


SURFACE_PROJECT = '''from contextlib import asynccontextmanager

from fastmcp import Context, FastMCP
from fastmcp.server.middleware import Middleware
from fastmcp.server.middleware.timing import TimingMiddleware
from fastmcp.tools import ToolResult
from mcp.types import Icon


ENTERED = []


@asynccontextmanager
async def lifespan(server):
    ENTERED.append(server.name)
    yield {"greeting": "hello from the lifespan"}


class Suffix(Middleware):
    async def on_call_tool(self, context, call_next):
        result = await call_next(context)
        return ToolResult(content=result.content[0].text + "!", structured_content={"ok": True})


mcp = FastMCP("surface", lifespan=lifespan, host="0.0.0.0", middleware=[TimingMiddleware(), Suffix()],
              icons=[Icon(src="https://example.com/i.png")])


@mcp.tool
async def greet(ctx: Context) -> str:
    return ctx.lifespan_context["greeting"]
'''

# Runs at build time inside WASI, before load_entry: the lifespan and middleware work under CPython-on-WASI.
SURFACE_SMOKE = '''import server
for _ in range(2):
    blocks, structured, is_error = server.mcp.call_tool("greet", {})
    assert not is_error and blocks[0]["text"] == "hello from the lifespan!" and structured == {"ok": True}, blocks
assert server.ENTERED == ["surface"], server.ENTERED
'''

# Runs at build time after load_entry: the lifespan has not run, and describe carries the notice for the
# builder to log (componentize-py shows nothing the module prints when the build succeeds).
SURFACE_AFTER = '''
import json
import server
assert server.ENTERED == [], "pre-initialization must not enter the lifespan"
notices = json.loads(Guest().describe())["notices"]
assert any(n.startswith("server.py:25: FastMCP()'s host='0.0.0.0' is ignored") for n in notices), notices
'''


def _project(tmp_path, source):
    project = tmp_path / "project"
    project.mkdir()
    (project / "server.py").write_text(source)
    return project


def test_lifespan_is_not_entered_at_build_and_describe_carries_notices(tmp_path):
    proc, _ = _build(tmp_path, _project(tmp_path, SURFACE_PROJECT), APP + SURFACE_AFTER)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_lifespan_and_middleware_run_under_wasi(tmp_path):
    proc, _ = _build(tmp_path, _project(tmp_path, SURFACE_PROJECT), SURFACE_SMOKE + APP)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_a_module_berth_does_not_provide_fails_the_build_saying_so(tmp_path):
    project = _project(tmp_path, "from fastmcp import FastMCP\nfrom fastmcp.client import Client\nmcp = FastMCP('x')\n")
    proc, _ = _build(tmp_path, project, APP)
    assert proc.returncode != 0
    assert "server.py:2: Berth does not provide `fastmcp.client`" in proc.stderr
    assert "requirements.txt" not in proc.stderr
