"""componentize-py builds a component from each project with this SDK and the guest site (real pydantic
with pydantic-core built for WebAssembly), pre-initialization included.

Building runs the module's top level inside CPython-on-WASI, so this proves the SDK imports there and
that ``load_entry`` accepts the project. A smoke step also runs an async tool at build time, which
exercises the SDK's event loop under WASI.
"""

import subprocess

import pytest

from conftest import REPO, SDK_DIR, WIT_DIR, componentize_py, guest_site

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
         "-p", str(staging), "-p", str(SDK_DIR), "-p", str(guest_site()), "-p", str(project), "-o", str(out)],
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


# A server with pydantic models as parameters and results. The smoke part runs at build time inside
# WASI, so real pydantic-core (the WebAssembly build) validates, coerces and refuses there.
MODELS_PROJECT = """from datetime import date
from typing import Optional
from pydantic import BaseModel, ConfigDict, Field, field_validator
from fastmcp import FastMCP

mcp = FastMCP("models")


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    qty: int = Field(default=1, ge=0)

    @field_validator("name")
    @classmethod
    def strip(cls, v):
        return v.strip()


class Order(BaseModel):
    items: list[Item]
    due: Optional[date] = None
    notes: dict[str, Item] = Field(default_factory=dict)


@mcp.tool
def total(order: Order) -> Order:
    return order
"""

MODELS_SMOKE = """import json
import server
blocks, structured, is_error = server.mcp.call_tool(
    "total", {"order": {"items": [{"name": " a ", "qty": "2"}], "due": "2026-12-01"}})
assert not is_error and structured == {"items": [{"name": "a", "qty": 2}], "due": "2026-12-01", "notes": {}}, blocks
blocks, structured, is_error = server.mcp.call_tool("total", {"order": {"items": [{"name": "", "qty": -1, "x": 1}]}})
text = blocks[0]["text"]
assert is_error and text.startswith("3 validation errors for call[total]"), text
for kind in ("string_too_short", "greater_than_equal", "extra_forbidden"):
    assert kind in text, text
import pydantic_core
assert pydantic_core.__file__.endswith("__init__.py") and pydantic_core._pydantic_core.__file__.endswith(
    ".cpython-314-wasm32-wasi.so"), pydantic_core._pydantic_core.__file__
"""


def test_pydantic_models_validate_inside_the_component(tmp_path):
    proc, out = _build(tmp_path, _project(tmp_path, MODELS_PROJECT), MODELS_SMOKE + APP)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.read_bytes()[:4] == b"\0asm"


def test_the_docs_corpus_answers_as_fastmcp_inside_the_component(tmp_path):
    """The docs_* parity corpus run at build time inside WASI (tests/wasi_docs_smoke.py): real pydantic-core for
    WebAssembly and CPython 3.14 give the answers real fastmcp gives (test_fastmcp_parity's references)."""
    import json
    import shutil

    import test_fastmcp_parity as parity

    staging = tmp_path / "smoke"
    staging.mkdir()
    shutil.copy(SDK_DIR / "tests" / "wasi_docs_smoke.py", staging / "wasi_docs_smoke.py")
    modules = [m for m in parity.MODULES if m.startswith("docs_")]
    (staging / "docs_expected.json").write_text(json.dumps({m: parity.REFERENCES[m] for m in modules}))
    app = "import wasi_docs_smoke\n" + APP
    project = _project(tmp_path, "from fastmcp import FastMCP\nmcp = FastMCP('x')\n")
    out = tmp_path / "out.wasm"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "berth_app.py").write_text(app)
    proc = subprocess.run(
        [componentize_py(), "-d", str(WIT_DIR), "-w", "server", "componentize", "berth_app",
         "-p", str(tmp_path / "app"), "-p", str(staging), "-p", str(SDK_DIR / "tests" / "corpus"), "-p", str(SDK_DIR),
         "-p", str(guest_site()), "-p", str(project), "-o", str(out)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
