"""Berth's Python guest SDK: the FastMCP API in pure Python, served through the WIT ``guest`` export.

User code imports it under its usual names (``fastmcp``, ``mcp.server.fastmcp``,
``mcp.server.mcpserver``); ``berth_sdk.guest.load_entry`` turns the server object into the component.
"""

from berth_sdk.content import Audio, File, Image
from berth_sdk.context import Context
from berth_sdk.errors import DefinitionError, ToolError
from berth_sdk.runtime import HostError, StateError
from berth_sdk.server import FastMCP

__all__ = ["Audio", "Context", "DefinitionError", "FastMCP", "File", "HostError", "Image", "StateError",
           "ToolError"]
