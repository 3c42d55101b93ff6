"""The official MCP SDK's spellings of the server: ``mcp.server.fastmcp.FastMCP`` (SDK 1.x) and
``mcp.server.mcpserver.MCPServer`` (SDK 2.x). Same server, with their positional arguments, their tools'
and prompts' schemas and argument checks (``berth_sdk.official``), and the error texts and codes clients see
from them (SDK 2.x hides the text of unexpected exceptions).
"""

import json

from berth_sdk.content import CONTENT_TYPES, ToolResult, _Media, as_block, jsonable, tool_result
from berth_sdk.binding import ArgumentError
from berth_sdk.errors import McpError, NotFound, PromptError, ReportedError, ResourceError, ToolError, sandbox_hint
from berth_sdk.mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult
from berth_sdk.official import OfficialPrompt, OfficialTool, Sdk2Tool
from berth_sdk.server import FastMCP


def official_blocks(value):
    """The official SDK's ``_convert_to_content``: lists flatten item by item, other values are JSON text
    indented by 2 (as ``pydantic_core.to_json(indent=2)`` writes it)."""
    if value is None:
        return []
    if isinstance(value, CONTENT_TYPES + (_Media,)) or (isinstance(value, dict) and value.get("type") in
                                                          ("text", "image", "audio", "resource", "resource_link")):
        return [as_block(value)]
    if isinstance(value, (list, tuple)):
        return [block for item in value for block in official_blocks(item)]
    if not isinstance(value, str):
        value = json.dumps(jsonable(value), indent=2, ensure_ascii=False)
    return [{"type": "text", "text": value}]


class _Official(FastMCP):
    """What both official SDK spellings share: result conversion and JSON text."""

    _json_indent = 2
    _log_envelope = False  # ctx.info("x") sends "x" itself
    _fastmcp4 = False
    _elicit_needs_type = False
    _tool_class = OfficialTool
    _prompt_class = OfficialPrompt

    def describe(self):
        """Listed as the official SDK lists: no title derived from the name, no fastmcp tags in ``_meta``, an
        empty description when none."""
        doc = super().describe()
        for item in doc["tools"]:
            found = self._find_tool(item["name"])
            if found is not None and getattr(found[0], "_title", None) is None:
                item.pop("title", None)  # the official SDK derives no title from the name
        for kind in ("tools", "resources", "resourceTemplates", "prompts"):
            for item in doc[kind]:
                meta = item.pop("_meta", {})
                meta.pop("fastmcp", None)
                item.setdefault("description", "")
                if meta:
                    item["_meta"] = meta
        return doc

    def _unknown_tool_text(self, name):
        return f"Unknown tool: {name}"

    def get_prompt_result(self, name, arguments):
        description, messages, meta = super().get_prompt_result(name, arguments)
        return description if description is not None else "", messages, meta

    def _tool_result(self, value, tool):
        if isinstance(tool, OfficialTool):
            return tool.result(value)
        if isinstance(value, (ToolResult, CallToolResult)):
            return tool_result(value, tool.output_schema, tool.name)
        _, structured, _, _ = tool_result(value, tool.output_schema, tool.name)
        return official_blocks(value), structured, False, None  # no wrap marker in the official SDKs


class OfficialFastMCP(_Official):
    """``from mcp.server.fastmcp import FastMCP`` (the official SDK before 2.0). Its failed reads and renders
    are JSON-RPC errors with code 0, which the guest contract cannot carry: Berth sends them as internal
    errors (-32603) with the SDK's message."""

    _positional = ("name", "instructions", "website_url", "icons", "auth_server_provider", "token_verifier",
                   "event_store", "retry_interval")

    def _capabilities(self):
        """What the SDK 1.x advertises; it speaks only the 2025 era, so 2026-07-28 gets the same."""
        caps = {"experimental": {}, "prompts": {"listChanged": False},
                "resources": {"subscribe": False, "listChanged": False}, "tools": {"listChanged": False}}
        return self._with_completions(caps, dict(caps))

    def _tool_error_text(self, name, exc, outer=False):
        if outer and isinstance(exc, ToolError):
            return str(exc)
        return f"Error executing tool {name}: {exc}{sandbox_hint(exc)}"

    def _resource_error_text(self, uri, exc, template=False):
        if isinstance(exc, ResourceError):
            return str(exc)
        if template:
            return f"Error creating resource from template: {exc}{sandbox_hint(exc)}"
        return f"Error reading resource {uri}: {exc}{sandbox_hint(exc)}"

    def _prompt_error_text(self, name, exc):
        if isinstance(exc, PromptError):
            return str(exc)
        return f"Error rendering prompt {name}: {exc}{sandbox_hint(exc)}"

    def _prompt_failure_text(self, name, exc):
        return self._prompt_error_text(name, exc)

    def read_resource(self, uri):
        try:
            return super().read_resource(uri)
        except NotFound:
            raise ReportedError(f"Unknown resource: {uri}") from None

    def get_prompt_result(self, name, arguments):
        try:
            return super().get_prompt_result(name, arguments)
        except NotFound:
            raise ReportedError(f"Unknown prompt: {name}") from None
        except ArgumentError as exc:  # missing arguments: the SDK's message
            raise ReportedError(str(exc)) from None


class MCPServer(_Official):
    """``from mcp.server.mcpserver import MCPServer`` (the official SDK 2.x)."""

    _api = "MCPServer()"
    _middleware_base_only = True
    _tool_class = Sdk2Tool
    _positional = ("name", "title", "description", "instructions", "website_url", "icons", "version",
                   "auth_server_provider", "token_verifier")

    def _capabilities(self):
        """What the SDK 2.x advertises: no list changes on 2025 sessions; at 2026-07-28 it serves the
        listen stream, so list changes and subscriptions."""
        legacy = {"prompts": {"listChanged": False}, "resources": {"subscribe": False, "listChanged": False},
                  "tools": {"listChanged": False}}
        modern = {"prompts": {"listChanged": True}, "resources": {"subscribe": True, "listChanged": True},
                  "tools": {"listChanged": True}}
        return self._with_completions(legacy, modern)

    def _tool_error_text(self, name, exc, outer=False):
        if outer and isinstance(exc, ToolError):
            return str(exc)
        if isinstance(exc, (ToolError, ResourceError)):
            return f"Error executing tool {name}: {exc}"
        return f"Error executing tool {name}"

    def _resource_error_text(self, uri, exc, template=False):
        if isinstance(exc, ResourceError):
            return str(exc)
        if template:
            return f"Error creating resource from template {uri}"
        return f"Error reading resource {uri}"

    def _prompt_error_text(self, name, exc):
        if isinstance(exc, PromptError):
            return str(exc)
        return f"Error rendering prompt {name}"

    def read_resource(self, uri):
        try:
            return super().read_resource(uri)
        except NotFound:
            raise McpError(code=INVALID_PARAMS, message=f"Unknown resource: {uri}") from None

    def get_prompt_result(self, name, arguments):
        """A render that fails for any reason but an ``McpError`` (an unknown prompt, missing arguments, the
        prompt raising) is an internal error without its text, as the SDK answers on 2026-07-28 sessions (on
        2025 ones it sends the text with code 0, which the guest contract cannot carry)."""
        try:
            return super().get_prompt_result(name, arguments)
        except McpError:
            raise
        except (NotFound, ArgumentError, ReportedError):
            raise McpError(code=INTERNAL_ERROR, message="Internal server error") from None
