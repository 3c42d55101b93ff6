"""Lists the tools of an MCP server and calls one, with a real Python client.

Usage: python_clients.py CLIENT URL TOOL ARGS_JSON
  CLIENT  mcp-auto | mcp-legacy | mcp-2026 (the official `mcp` 2.x client in that connect mode)
          or fastmcp (`fastmcp.Client`, default mode)

Prints one JSON object: {"client", "protocol_version", "tools": [names], "is_error", "text"}.
Exits non-zero, with the traceback, if anything fails.
"""

import asyncio
import json
import sys


def first_text(result):
    for block in result.content:
        text = getattr(block, "text", None)
        if text is not None:
            return text
    return None


async def with_mcp(mode, url, tool, args):
    from mcp import Client

    async with Client(url, mode=mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool(tool, args)
        return {
            "protocol_version": str(client.protocol_version),
            "tools": sorted(t.name for t in tools.tools),
            "is_error": bool(result.is_error),
            "text": first_text(result),
        }


async def with_fastmcp(url, tool, args):
    from fastmcp import Client

    async with Client(url) as client:
        tools = await client.list_tools()
        result = await client.call_tool(tool, args, raise_on_error=False)
        return {
            "protocol_version": None,
            "tools": sorted(t.name for t in tools),
            "is_error": bool(result.is_error),
            "text": first_text(result),
        }


async def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    client, url, tool, args = argv[1], argv[2], argv[3], json.loads(argv[4])
    modes = {"mcp-auto": "auto", "mcp-legacy": "legacy", "mcp-2026": "2026-07-28"}
    if client in modes:
        out = await with_mcp(modes[client], url, tool, args)
    elif client == "fastmcp":
        out = await with_fastmcp(url, tool, args)
    else:
        sys.exit(f"unknown client {client!r}\n{__doc__}")
    out["client"] = client
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
