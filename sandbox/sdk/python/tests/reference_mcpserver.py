"""Prints the official MCP SDK 2.x's call results, reads and renders for a corpus module, as JSON.

Run with the real ``mcp`` importable and Berth's SDK *not* on sys.path:
``python reference_mcpserver.py <corpus dir> <module>``.
"""

import asyncio
import importlib
import json
import sys


async def main(module_name):
    from mcp import Client

    corpus = importlib.import_module(module_name)
    dump = lambda value: value.model_dump(mode="json", by_alias=True, exclude_none=True)  # noqa: E731
    out = {"calls": [], "reads": [], "renders": []}
    async with Client(corpus.mcp) as client:
        out["tools"] = [dump(t) for t in (await client.list_tools()).tools]
        out["resources"] = [dump(r) for r in (await client.list_resources()).resources]
        out["resourceTemplates"] = [dump(r) for r in (await client.list_resource_templates()).resource_templates]
        out["prompts"] = [dump(p) for p in (await client.list_prompts()).prompts]
        for name, args in corpus.CALLS:
            result = dump(await client.call_tool(name, args))
            out["calls"].append({k: result.get(k) for k in ("content", "structuredContent", "isError")})
        for uri in corpus.READS:
            try:
                out["reads"].append(dump(await client.read_resource(uri))["contents"])
            except Exception as exc:  # an error answer: the client raises with its message
                out["reads"].append({"error": str(exc)})
        for name, args in corpus.PROMPTS:
            rendered = dump(await client.get_prompt(name, args))
            out["renders"].append({"description": rendered.get("description"), "messages": rendered["messages"]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    asyncio.run(main(sys.argv[2]))
