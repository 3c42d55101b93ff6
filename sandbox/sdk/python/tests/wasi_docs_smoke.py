"""Runs inside CPython-on-WASI at build time (pre-initialization), from test_componentize.py: every docs_*
corpus module listed, called, read and rendered with Berth's SDK and real pydantic-core built for
WebAssembly, compared with real fastmcp's answers (docs_expected.json, written by the test). A difference
fails the build, naming the first ones."""

import base64
import json
import pathlib
import sys

EXPECTED = json.loads((pathlib.Path(__file__).parent / "docs_expected.json").read_text())


def _wire(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _error(exc, method):
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
    return {"error": {"code": "raised", "message": f"{type(exc).__name__}: {exc}"}}


def _attempt(fn, method):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - compared with the error real fastmcp sent
        return _error(exc, method)


def check():
    mismatches = []
    for module, ref in EXPECTED.items():
        m = __import__(module)
        listed = {t["name"]: t for t in m.mcp.describe()["tools"]}
        mismatches += [(module, "tool", t["name"]) for t in ref["tools"] if listed.get(t["name"]) != t]
        for i, (name, args) in enumerate(getattr(m, "CALLS", [])):
            def call():
                blocks, structured, is_error = m.mcp.call_tool(name, args)
                return {"content": _wire(blocks), "structuredContent": structured, "isError": is_error}
            expected = ref["calls"][i]
            if "error" not in expected:
                expected = {"content": expected["content"], "structuredContent": expected.get("structuredContent"),
                            "isError": expected["isError"]}
            if _attempt(call, "call") != expected:
                mismatches.append((module, "call", name, args))
        for i, uri in enumerate(getattr(m, "READS", [])):
            if uri.startswith("file://"):  # the corpus folder has another path inside the sandbox
                continue
            expected = ref["reads"][i]
            if isinstance(expected, list):
                expected = [{k: v for k, v in c.items() if k != "_meta"} for c in expected]
            if _attempt(lambda: _wire(m.mcp.read_resource(uri)), "read") != expected:
                mismatches.append((module, "read", uri))
        for i, (name, args) in enumerate(getattr(m, "PROMPTS", [])):
            def render():
                description, messages = m.mcp.get_prompt(name, args)
                return {"description": description, "messages": _wire(messages)}
            expected = ref["renders"][i]
            if "error" not in expected:
                expected = {"description": expected.get("description"), "messages": expected["messages"]}
            if _attempt(render, "render") != expected:
                mismatches.append((module, "render", name, args))
    return mismatches


MISMATCHES = check()
assert not MISMATCHES, f"{len(MISMATCHES)} answers differ from real fastmcp's inside WASI: {MISMATCHES[:8]}"
print(f"docs corpus under WASI: {len(EXPECTED)} modules as real fastmcp answers", file=sys.stderr)
