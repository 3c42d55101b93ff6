"""The official MCP SDK's spellings of the server: ``mcp.server.fastmcp.FastMCP`` (SDK 1.x) and
``mcp.server.mcpserver.MCPServer`` (SDK 2.x). Same server, with their positional arguments and the
error texts clients see from them (SDK 2.x hides the text of unexpected exceptions).
"""

from berth_sdk.errors import PromptError, ResourceError, ToolError
from berth_sdk.server import FastMCP


class OfficialFastMCP(FastMCP):
    """``from mcp.server.fastmcp import FastMCP`` (the official SDK before 2.0)."""

    _positional = ("name", "instructions", "website_url", "icons", "auth_server_provider", "token_verifier",
                   "event_store", "retry_interval")

    def _tool_error_text(self, name, exc, outer=False):
        if outer and isinstance(exc, ToolError):
            return str(exc)
        return f"Error executing tool {name}: {exc}"

    def _resource_error_text(self, uri, exc):
        if isinstance(exc, ResourceError):
            return str(exc)
        return f"Error reading resource {uri}: {exc}"

    def _prompt_error_text(self, name, exc):
        if isinstance(exc, PromptError):
            return str(exc)
        return f"Error rendering prompt {name}: {exc}"


class MCPServer(FastMCP):
    """``from mcp.server.mcpserver import MCPServer`` (the official SDK 2.x)."""

    _api = "MCPServer()"
    _middleware_base_only = True
    _positional = ("name", "title", "description", "instructions", "website_url", "icons", "version",
                   "auth_server_provider", "token_verifier")

    def _tool_error_text(self, name, exc, outer=False):
        if outer and isinstance(exc, ToolError):
            return str(exc)
        if isinstance(exc, (ToolError, ResourceError)):
            return f"Error executing tool {name}: {exc}"
        return f"Error executing tool {name}"

    def _resource_error_text(self, uri, exc):
        if isinstance(exc, ResourceError):
            return str(exc)
        return f"Error reading resource {uri}"

    def _prompt_error_text(self, name, exc):
        if isinstance(exc, PromptError):
            return str(exc)
        return f"Error rendering prompt {name}"
