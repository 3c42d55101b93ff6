"""Prints real fastmcp's tools/list and call results for a corpus module, as JSON.

Run with the real fastmcp importable and Berth's SDK *not* on sys.path:
``python reference_fastmcp.py <corpus dir> <module>``.
"""

import asyncio
import importlib
import json
import sys


async def _or_error(request, dump):
    """The request's result dumped, or ``{"error": {"code", "message"}}`` for the JSON-RPC error it got."""
    from mcp.shared.exceptions import MCPError

    try:
        return dump(await request())
    except MCPError as exc:
        return {"error": {"code": exc.error.code, "message": exc.error.message}}


async def main(module_name):
    from fastmcp import Client
    from mcp.client.session import ClientSession

    # Record each result as the server sends it: the client's own check of structured content against
    # the output schema would raise instead (an OpenAPI tool whose API answers text, as natively).
    async def _unchecked(self, name, result):
        return None

    ClientSession.validate_tool_result = _unchecked

    corpus = importlib.import_module(module_name)
    out = {"tools": [], "calls": []}
    async with Client(corpus.mcp) as client:
        for tool in await client.list_tools():
            out["tools"].append(tool.model_dump(mode="json", by_alias=True, exclude_none=True))
        for name, args in getattr(corpus, "CALLS", []):
            out["calls"].append(await _or_error(
                lambda: client.call_tool_mcp(name, args),
                lambda r: {k: v for k, v in r.model_dump(mode="json", by_alias=True, exclude_none=True).items()
                           if k in ("content", "structuredContent", "isError")}))
        dump = lambda items: [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in items]
        out["resources"] = dump(await client.list_resources())
        out["resourceTemplates"] = dump(await client.list_resource_templates())
        out["prompts"] = dump(await client.list_prompts())
        out["reads"] = [await _or_error(lambda: client.read_resource_mcp(uri), lambda r: dump(r.contents))
                        for uri in getattr(corpus, "READS", [])]
        out["renders"] = [
            await _or_error(lambda: client.get_prompt_mcp(name, args),
                            lambda r: r.model_dump(mode="json", by_alias=True, exclude_none=True))
            for name, args in getattr(corpus, "PROMPTS", [])
        ]
        out["completions"] = []
        for kind, ref, argument, value, context in getattr(corpus, "COMPLETIONS", []):
            from mcp.types import PromptReference, ResourceTemplateReference

            reference = PromptReference(type="ref/prompt", name=ref) if kind == "prompt" else \
                ResourceTemplateReference(type="ref/resource", uri=ref)
            out["completions"].append(await _or_error(
                lambda: client.complete_mcp(reference, {"name": argument, "value": value}, context or None),
                lambda r: r.completion.model_dump(mode="json", by_alias=True, exclude_none=True)))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    asyncio.run(main(sys.argv[2]))
