"""Prints what the real official MCP SDK answers for a server and its calls, as JSON.

``python reference_official.py SERVER_DIR`` imports ``server.py`` from SERVER_DIR (its module-level ``mcp``:
``mcp.server.fastmcp.FastMCP`` under the SDK 1.x, ``MCPServer`` under 2.x) and runs the ``tools/call``,
``resources/read`` and ``prompts/get`` calls of SERVER_DIR/calls.json (tests/compat's format) through the
SDK's own in-memory client: 1.x's JSON-RPC session (failed reads and renders are code 0 with their text),
2.x's ``Client`` (a 2026-07-28 session: an unexpected failure is -32603 ``Internal server error``).
Prints ``{"tools": [...], "calls": [{"id", "result" | "error": {"code", "message"}}]}``. Run it with the
interpreter that has that SDK and without Berth's SDK on sys.path.
"""

import asyncio
import json
import os
import sys

METHODS = ("tools/call", "resources/read", "prompts/get", "completion/complete")


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def answer(session, call):
    method = call["method"]
    if method == "tools/call":
        return dump(await session.call_tool(call["name"], call.get("arguments")))
    if method == "resources/read":
        return dump(await session.read_resource(call["uri"]))
    if method == "completion/complete":
        from mcp.types import PromptReference, ResourceTemplateReference

        ref = call["ref"]
        ref = PromptReference(type="ref/prompt", name=ref["name"]) if ref["type"] == "ref/prompt" else \
            ResourceTemplateReference(type="ref/resource", uri=ref["uri"])
        result = await session.complete(ref, call["argument"], call.get("context") or None)
        return dump(result.completion)
    return dump(await session.get_prompt(call["name"], call.get("arguments")))


async def run(session, calls):
    out = {"tools": [dump(t) for t in (await session.list_tools()).tools], "calls": []}
    for call in calls:
        target = call.get("name") or call.get("uri") or (call.get("ref") or {}).get("name") or \
            (call.get("ref") or {}).get("uri")
        entry = {"id": call.get("id") or f"{call['method']} {target}"}
        try:
            entry["result"] = await answer(session, call)
        except Exception as exc:  # an error answer: its code and message are what is compared
            error = getattr(exc, "error", None) or exc
            entry["error"] = {"code": error.code, "message": error.message}
        out["calls"].append(entry)
    return out


async def main(folder):
    os.chdir(folder)
    sys.path.insert(0, folder)
    import server  # noqa: PLC0415  (the server under test)

    with open("calls.json") as f:
        calls = [c for c in json.load(f)["calls"] if c["method"] in METHODS]
    try:
        from mcp import Client  # noqa: PLC0415  (SDK 2.x)
    except ImportError:
        from mcp.shared.memory import create_connected_server_and_client_session  # noqa: PLC0415  (SDK 1.x)

        async with create_connected_server_and_client_session(server.mcp._mcp_server) as session:
            return await run(session, calls)
    async with Client(server.mcp) as client:
        return await run(client, calls)


if __name__ == "__main__":
    json.dump(asyncio.run(main(os.path.abspath(sys.argv[1]))), sys.stdout)
