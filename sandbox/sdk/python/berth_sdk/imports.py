"""Imports of ``fastmcp.*`` and ``mcp.*`` modules Berth does not provide fail saying so, and what to use.

Without this, ``import fastmcp.client`` would fail with "No module named" and the build would advise
adding fastmcp to requirements.txt, which cannot work (Berth provides the fastmcp and mcp packages
itself; a vendored copy would be shadowed by the SDK). The finder sits last on ``sys.meta_path``: the SDK's own modules are found first,
and only a name under those prefixes that nothing else found reaches it.
"""

import sys

PREFIXES = ("fastmcp", "mcp")

# The most specific prefix wins.
_HINTS = {
    "fastmcp.client": "Berth hosts servers; to call another MCP server from a tool, Berth has no outbound client yet",
    "fastmcp.server.auth": "Berth authenticates clients itself (project access tokens); remove auth= and its imports",
    "fastmcp.server.auth.providers": "Berth authenticates clients itself (project access tokens); remove the provider",
    "fastmcp.server.proxy": "proxy servers need outbound connections, which Berth does not offer yet",
    "fastmcp.contrib": "the contrib modules are not part of Berth's SDK; copy what you need into your project",
    "fastmcp.cli": "Berth builds and serves the project itself; remove the CLI import",
    "fastmcp.experimental": "experimental fastmcp features are not part of Berth's SDK",
    "fastmcp.server.providers": "Berth's SDK has only fastmcp.server.providers.openapi (OpenAPIProvider); add "
                                "other components with the decorators or mcp.mount(server, namespace=...)",
    "fastmcp.server.transforms": "Berth's SDK has Namespace, ToolTransform and Visibility there "
                                 "(from fastmcp.server.transforms import ...)",
    "fastmcp.server.http": "Berth serves HTTP itself; remove the import",
    "fastmcp.apps": "MCP apps are not part of Berth's SDK",
    "fastmcp.server.dependencies.get_http_headers": "Berth does not pass the client's HTTP headers to the server "
                                                    "yet; use the project's environment variables for secrets",
    "fastmcp.server.dependencies.get_http_request": "Berth does not pass the client's HTTP request to the server",
    "fastmcp.server.dependencies.get_access_token": "Berth authenticates clients itself and does not pass tokens "
                                                    "to the server",
    "mcp.client": "Berth hosts servers; it has no MCP client for tools to use yet",
    "mcp.server.lowlevel": "write the server with FastMCP (from fastmcp import FastMCP); the low-level API is "
                           "not part of Berth's SDK",
    "mcp.server.stdio": "Berth serves the project over HTTP itself; mcp.run() is enough",
    "mcp.server.sse": "Berth serves the project over HTTP itself; mcp.run() is enough",
    "mcp.server.streamable_http": "Berth serves the project over HTTP itself; mcp.run() is enough",
    "mcp.server.streamable_http_manager": "Berth serves the project over HTTP itself; mcp.run() is enough",
    "mcp.server.auth": "Berth authenticates clients itself (project access tokens); remove auth settings",
    "mcp.cli": "Berth builds and serves the project itself; remove the CLI import",
}

_GENERIC = ("see the import table in Berth's SDK README for the modules it provides "
            "(fastmcp, fastmcp.exceptions, fastmcp.tools, fastmcp.prompts, fastmcp.server.middleware, "
            "mcp.types, mcp.server.fastmcp, mcp.server.mcpserver, ...)")


def message(fullname):
    parts = fullname.split(".")
    for n in range(len(parts), 0, -1):
        hint = _HINTS.get(".".join(parts[:n]))
        if hint:
            break
    else:
        hint = _GENERIC
    return (f"Berth does not provide `{fullname}`: Berth's SDK implements the FastMCP API itself (real fastmcp "
            f"and mcp cannot run inside WebAssembly), and this module is not part of it; {hint}")


def _importing():
    """True inside an import statement; False for ``importlib.util.find_spec`` (a probe expects None)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name == "_find_spec":
        frame = frame.f_back
    return frame is None or frame.f_code.co_name != "find_spec"


class MissingModuleFinder:
    """Last on ``sys.meta_path``: a ``fastmcp.*``/``mcp.*`` name nothing else found is an error naming it."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname.split(".")[0] in PREFIXES and "." in fullname and _importing():
            raise ModuleNotFoundError(message(fullname), name=fullname)
        return None

    @staticmethod
    def invalidate_caches():
        pass


def install():
    if not any(isinstance(f, MissingModuleFinder) or getattr(f, "__name__", "") == "MissingModuleFinder"
               for f in sys.meta_path):
        sys.meta_path.append(MissingModuleFinder())
