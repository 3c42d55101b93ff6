"""Signs in to a private MCP server through OAuth with a real Python client, then calls a tool.

Usage: oauth_client.py CLIENT URL TOOL ARGS_JSON
  CLIENT  mcp (the official `mcp` 2.x client's OAuthClientProvider, dynamic client registration)
          or fastmcp (`fastmcp.Client(url, auth=OAuth(...))`)

The client serves its OAuth callback on a loopback port of its own. When it needs the user, it prints
`AUTHORIZE <url>` on stdout (flushed) and waits for the browser to come back to the callback; whoever
runs this script opens that URL in a signed-in browser and consents. It then lists the tools, calls
TOOL, and prints `RESULT <json>`: {"client", "tools": [names], "is_error", "text"}.
Exits non-zero, with the traceback, if anything fails.
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlparse


class Callback:
    """A one-shot HTTP server on 127.0.0.1 that takes the authorization response."""

    def __init__(self):
        self.result = asyncio.get_running_loop().create_future()
        self.server = None
        self.port = None

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader, writer):
        request = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        target = request.decode("latin-1").split(" ")[1]
        params = {k: v[0] for k, v in parse_qs(urlparse(target).query).items()}
        body = b"Signed in; you may close this window."
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()
        if not self.result.done():
            self.result.set_result(params)

    @property
    def redirect_uri(self):
        return f"http://127.0.0.1:{self.port}/callback"


async def show(url):
    print(f"AUTHORIZE {url}", flush=True)


def first_text(result):
    for block in result.content:
        text = getattr(block, "text", None)
        if text is not None:
            return text
    return None


async def with_mcp(url, tool, args, callback):
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    class Memory:
        def __init__(self):
            self.tokens = None
            self.client = None

        async def get_tokens(self):
            return self.tokens

        async def set_tokens(self, tokens):
            self.tokens = tokens

        async def get_client_info(self):
            return self.client

        async def set_client_info(self, info):
            self.client = info

    async def wait_for_code():
        params = await callback.result
        if "error" in params:
            raise RuntimeError(f"authorization refused: {params}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    metadata = OAuthClientMetadata(
        client_name="Berth e2e (python mcp)",
        redirect_uris=[callback.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=metadata,
        storage=Memory(),
        redirect_handler=show,
        callback_handler=wait_for_code,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            tools = await client.list_tools()
            result = await client.call_tool(tool, args)
            return {
                "tools": sorted(t.name for t in tools.tools),
                "is_error": bool(result.is_error),
                "text": first_text(result),
            }


async def with_fastmcp(url, tool, args, callback):
    from fastmcp import Client
    from fastmcp.client.auth import OAuth
    from mcp.shared.auth import AuthorizationCodeResult

    class BrowserlessOAuth(OAuth):
        """fastmcp's OAuth flow, with the browser opened by whoever runs this script."""

        async def redirect_handler(self, authorization_url):
            await show(authorization_url)

        async def callback_handler(self):
            params = await callback.result
            if "error" in params:
                raise RuntimeError(f"authorization refused: {params}")
            return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    auth = BrowserlessOAuth(
        client_name="Berth e2e (fastmcp)", callback_host="127.0.0.1", callback_port=callback.port
    )
    async with Client(url, auth=auth) as client:
        tools = await client.list_tools()
        result = await client.call_tool(tool, args, raise_on_error=False)
        return {
            "tools": sorted(t.name for t in tools),
            "is_error": bool(result.is_error),
            "text": first_text(result),
        }


async def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    client, url, tool, args = argv[1], argv[2], argv[3], json.loads(argv[4])
    callback = Callback()
    await callback.start()
    if client == "mcp":
        out = await with_mcp(url, tool, args, callback)
    elif client == "fastmcp":
        out = await with_fastmcp(url, tool, args, callback)
    else:
        sys.exit(f"unknown client {client!r}\n{__doc__}")
    out["client"] = client
    print(f"RESULT {json.dumps(out)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
