"""More of fastmcp's built-in middleware: response limiting, tool injection and ping.

- ``ResponseLimitingMiddleware(max_size=..., tools=[...])``: a tool result larger than ``max_size`` bytes (as
  JSON) becomes its text, cut to fit, with fastmcp's suffix; limited tools are listed without an output
  schema (a cut result is text), as fastmcp lists them.
- ``ToolInjectionMiddleware(tools=[...])``: extra tools the server lists (ahead of its own) and calls, through
  the whole middleware chain; one of the same name as a registered tool takes its place.
- ``PingMiddleware``: a notice; Berth's edge keeps client connections alive itself.
"""

import json

from berth_sdk import options as opts
from berth_sdk.content import ToolResult
from berth_sdk.middleware import Middleware


class ResponseLimitingMiddleware(Middleware):
    def __init__(self, *, max_size=1_000_000, truncation_suffix="\n\n[Response truncated due to size limit]",
                 tools=None):
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.max_size = max_size
        self.truncation_suffix = truncation_suffix
        self.tools = set(tools) if tools is not None else None

    def _limits_tool(self, name):
        return self.tools is None or name in self.tools

    async def on_list_tools(self, context, call_next):
        tools = await call_next(context)
        return [t.model_copy(update={"output_schema": None})
                if self._limits_tool(t.name) and t.output_schema is not None else t for t in tools]

    async def on_call_tool(self, context, call_next):
        result = await call_next(context)
        if not isinstance(result, ToolResult) or not self._limits_tool(context.message.name):
            return result
        serialized = _serialized(result)
        if len(serialized) <= self.max_size:
            return result
        texts = [b["text"] for b in result.blocks() if b.get("type") == "text"]
        text = "\n\n".join(texts) if texts else serialized.decode("utf-8", errors="replace")
        return self._truncated(text, result.meta, result.is_error)

    def _truncated(self, text, meta, is_error):
        target = self.max_size - len(self.truncation_suffix.encode("utf-8")) - 50
        if target <= 0:
            cut = self.truncation_suffix
        else:
            encoded = text.encode("utf-8")
            cut = (text if len(encoded) <= target else encoded[:target].decode("utf-8", errors="ignore")) + \
                self.truncation_suffix
        return ToolResult._of([{"type": "text", "text": cut}], None, is_error, meta)


def _serialized(result):
    """The result as pydantic would write fastmcp's ``ToolResult`` (its size is what is limited)."""
    from berth_sdk.content import jsonable

    blocks = [jsonable(b) for b in result.content]
    return json.dumps({"content": blocks, "structured_content": result.structured_content, "meta": result.meta,
                       "is_error": result.is_error}, separators=(",", ":"), ensure_ascii=False).encode()


class ToolInjectionMiddleware(Middleware):
    injects_tools = True

    def __init__(self, tools):
        self._tools_to_inject = tools
        self._tools_to_inject_by_name = {tool.name: tool for tool in tools}

    @property
    def injected_tools(self):
        return list(self._tools_to_inject_by_name.values())

    def get_injected_tool(self, name):
        return self._tools_to_inject_by_name.get(name)


class PingMiddleware(Middleware):
    def __init__(self, interval_ms=30000):
        if interval_ms <= 0:
            raise ValueError("interval_ms must be positive")
        self.interval_ms = interval_ms
        opts.notice(f"{opts.caller()}: PingMiddleware(interval_ms={interval_ms}) sends no pings: Berth's edge keeps "
                    "client connections alive itself")


def injected_tools(middleware):
    """The tools ``ToolInjectionMiddleware`` in ``middleware`` add, one per name (the outermost wins)."""
    out = {}
    for mw in middleware:
        if getattr(mw, "injects_tools", False):
            for tool in mw.injected_tools:
                out.setdefault(tool.name, tool)
    return out
