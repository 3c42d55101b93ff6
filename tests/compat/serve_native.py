"""Serves one corpus server natively over Streamable HTTP at http://127.0.0.1:PORT/mcp.

Usage: serve_native.py SERVER_DIR PORT

Run it with the venv that has the server's library: `$BERTH_TOOLS/compat-fastmcp4/bin/python` for
`from fastmcp import FastMCP` and `from mcp.server.mcpserver import MCPServer` servers (fastmcp 4.x with
mcp 2.x), `$BERTH_TOOLS/compat-mcp1/bin/python` for `from mcp.server.fastmcp import FastMCP` servers
(mcp 1.x). It imports `server.py` from SERVER_DIR as a module (so its `if __name__ == "__main__"` block
does not run) and serves its module-level `mcp` with that library's own HTTP transport, in the
foreground, until it is stopped (SIGTERM).
"""

import os
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    folder, port = os.path.abspath(argv[1]), int(argv[2])
    os.chdir(folder)
    sys.path.insert(0, folder)
    import server  # noqa: PLC0415  (the server under test)

    mcp = getattr(server, "mcp", None)
    if mcp is None:
        sys.exit(f"{folder}/server.py has no module-level `mcp`")
    kind = f"{type(mcp).__module__}.{type(mcp).__name__}"
    if kind.startswith("fastmcp."):
        mcp.run(transport="http", host="127.0.0.1", port=port, path="/mcp", show_banner=False)
    elif kind.startswith("mcp.server.mcpserver."):
        mcp.run("streamable-http", host="127.0.0.1", port=port, streamable_http_path="/mcp")
    elif kind.startswith("mcp.server.fastmcp."):
        mcp.settings.host = "127.0.0.1"
        mcp.settings.port = port
        mcp.settings.streamable_http_path = "/mcp"
        mcp.run("streamable-http")
    else:
        sys.exit(f"{folder}/server.py: `mcp` is a {kind}, not a FastMCP or MCPServer")


if __name__ == "__main__":
    main(sys.argv)
