"""Berth's SDK must list and answer exactly as real fastmcp 4.x does, for the corpus modules.

Real fastmcp runs in a subprocess without the SDK on its path (the SDK provides a ``fastmcp``
package of its own); its tools/list, resources, prompts and results are compared item by item.
"""

import base64
import importlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


MODULES = ("signatures", "surface", "models", "docs_tools", "docs_resources", "docs_prompts", "docs_compose",
           "docs_middleware", "docs_server", "docs_masked", "docs_transforms", "docs_lifespan",
           "docs_strict", "docs_completion", "docs_types",
           "docs_registration", "docs_middleware_builtin", "docs_refs")


def _reference(module):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["FASTMCP_LOG_ENABLED"] = "false"
    proc = subprocess.run([sys.executable, str(HERE / "reference_fastmcp.py"), str(CORPUS), module],
                          capture_output=True, text=True, env=env, cwd=str(CORPUS))
    if proc.returncode != 0:
        pytest.fail(f"real fastmcp failed on the corpus (is fastmcp 4.x installed?):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


REFERENCES = {module: _reference(module) for module in MODULES}


def _cases(kind):
    return [(m, i) for m in MODULES for i in range(len(REFERENCES[m].get(kind, [])))]


def _ids(case):
    return f"{case[0]}-{case[1]}" if isinstance(case, tuple) else str(case)


@pytest.fixture(scope="module")
def corpora():
    sys.path.insert(0, str(CORPUS))
    try:
        loaded = {}
        for module in MODULES:
            sys.modules.pop(module, None)
            loaded[module] = importlib.import_module(module)
            assert loaded[module].FastMCP.__module__ == "berth_sdk.server", "the corpus must import Berth's fastmcp"
        yield loaded
    finally:
        sys.path.remove(str(CORPUS))


def _wire(value):
    """The SDK's blocks as MCP JSON (bytes in base64, no nulls)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


@pytest.mark.parametrize("case", [(m, t["name"]) for m in MODULES for t in REFERENCES[m]["tools"]], ids=_ids)
def test_tool_listing_is_byte_identical(corpora, case):
    module, name = case
    mine = {t["name"]: t for t in corpora[module].mcp.describe()["tools"]}[name]
    expected = {t["name"]: t for t in REFERENCES[module]["tools"]}[name]
    assert json.dumps(mine) == json.dumps(expected)


@pytest.mark.parametrize("module", MODULES)
def test_same_tools_in_same_order(corpora, module):
    assert [t["name"] for t in corpora[module].mcp.describe()["tools"]] == [
        t["name"] for t in REFERENCES[module]["tools"]]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("kind", ["resources", "resourceTemplates", "prompts"])
def test_other_listings_are_byte_identical(corpora, module, kind):
    assert json.dumps(corpora[module].mcp.describe()[kind]) == json.dumps(REFERENCES[module][kind])


@pytest.mark.parametrize("case", _cases("calls"), ids=_ids)
def test_call_results_match(corpora, case):
    module, index = case
    name, args = corpora[module].CALLS[index]
    expected = REFERENCES[module]["calls"][index]
    try:
        blocks, structured, is_error = corpora[module].mcp.call_tool(name, args)
    except Exception as exc:  # noqa: BLE001 - compared with the JSON-RPC error real fastmcp sent
        assert _rpc_error(exc, "call") == expected, f"{name}({args})"
        return
    assert {"content": _wire(blocks), "structuredContent": structured, "isError": is_error} == {
        "content": expected["content"], "structuredContent": expected.get("structuredContent"),
        "isError": expected["isError"]}, f"{name}({args})"


def _without_meta(items):
    # Berth's guest contract carries no _meta on read contents (see the SDK README).
    if isinstance(items, dict):  # a JSON-RPC error
        return items
    return [{k: v for k, v in item.items() if k != "_meta"} for item in items]


def _rpc_error(exc, method):
    """The JSON-RPC error a client gets for what the SDK raised, as the guest adaptor and the edge send it
    (``berth_sdk.guest._guest_error``, ``services/edge/src/wire.rs``)."""
    from berth_sdk.binding import ArgumentError
    from berth_sdk.errors import McpError, NotFound, ReportedError

    if isinstance(exc, NotFound):
        message = str(exc.args[0] if exc.args else exc)
        return {"error": {"code": -32602, "message": f"Resource not found: {message}" if method == "read" else message}}
    if isinstance(exc, ArgumentError):
        return {"error": {"code": -32602, "message": str(exc)}}
    if isinstance(exc, McpError):
        return {"error": {"code": exc.code, "message": str(exc)}}
    if isinstance(exc, ReportedError):
        return {"error": {"code": -32603, "message": str(exc)}}
    raise exc


@pytest.mark.parametrize("case", _cases("reads"), ids=_ids)
def test_resource_reads_match(corpora, case):
    module, index = case
    try:
        mine = _wire(corpora[module].mcp.read_resource(corpora[module].READS[index]))
    except Exception as exc:  # noqa: BLE001 - compared with the error real fastmcp sent
        mine = _rpc_error(exc, "read")
    assert mine == _without_meta(REFERENCES[module]["reads"][index])


@pytest.mark.parametrize("case", _cases("renders"), ids=_ids)
def test_prompt_renders_match(corpora, case):
    module, index = case
    name, args = corpora[module].PROMPTS[index]
    expected = REFERENCES[module]["renders"][index]
    try:
        description, messages = corpora[module].mcp.get_prompt(name, args)
    except Exception as exc:  # noqa: BLE001 - compared with the error real fastmcp sent
        assert _rpc_error(exc, "render") == expected
        return
    assert {"description": description, "messages": _wire(messages)} == {
        "description": expected.get("description"), "messages": expected["messages"]}


@pytest.mark.parametrize("case", _cases("completions"), ids=_ids)
def test_completions_match(corpora, case):
    module, index = case
    kind, ref, argument, value, context = corpora[module].COMPLETIONS[index]
    expected = REFERENCES[module]["completions"][index]
    try:
        values, total, has_more = corpora[module].mcp.complete(kind, ref, argument, value, context or {})
    except Exception as exc:  # noqa: BLE001 - compared with the JSON-RPC error real fastmcp sent
        assert _rpc_error(exc, "complete") == expected
        return
    mine = {"values": values}
    if total is not None:
        mine["total"] = total
    if has_more:  # the edge sends hasMore only when true
        mine["hasMore"] = True
    assert mine == {k: v for k, v in expected.items() if k != "hasMore" or v}
