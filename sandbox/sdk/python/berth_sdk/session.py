"""``ctx.session`` as the official SDK's examples use it: ``create_message`` asks the client's model (MCP
sampling, through the host, as ``ctx.sample`` does) and ``list_roots`` the client's roots. Berth's edge holds
the real MCP session, so everything else a ServerSession offers is refused saying what to use, and the
list-changed notifications are a notice (Berth's listings are fixed when the project is built)."""

import json
import sys

from berth_sdk import runtime
from berth_sdk.content import dumps

_NOTED = set()


class Session:
    def __init__(self, ctx):
        self._ctx = ctx

    async def create_message(self, messages, *, max_tokens, system_prompt=None, include_context=None,
                             temperature=None, stop_sequences=None, metadata=None, model_preferences=None,
                             related_request_id=None, **unsupported):
        """``sampling/createMessage``: the client's model's reply as ``mcp.types.CreateMessageResult``."""
        from berth_sdk.context import _model_preferences, _sampling_messages
        from berth_sdk.content import block_model
        from berth_sdk.mcp_types import CreateMessageResult

        if unsupported:
            raise TypeError(f"ctx.session.create_message() got argument(s) Berth does not send: "
                            f"{', '.join(sorted(unsupported))}")
        params = {"messages": _sampling_messages(list(messages)), "maxTokens": max_tokens}
        for key, value in (("systemPrompt", system_prompt), ("includeContext", include_context),
                           ("temperature", temperature), ("metadata", metadata)):
            if value is not None:
                params[key] = value
        if stop_sequences:
            params["stopSequences"] = list(stop_sequences)
        prefs = _model_preferences(model_preferences)
        if prefs is not None:
            params["modelPreferences"] = prefs
        reply = json.loads(runtime.host.sample(dumps(params)))
        content = reply.get("content") or {"type": "text", "text": ""}
        if isinstance(content, dict) and content.get("type") in ("image", "audio") and isinstance(content.get("data"), str):
            import base64

            content = {**content, "data": base64.b64decode(content["data"])}
        return CreateMessageResult(role=reply.get("role", "assistant"), content=block_model(content),
                                   model=reply.get("model"), stopReason=reply.get("stopReason"))

    async def list_roots(self):
        from berth_sdk.mcp_types import Root

        reply = json.loads(runtime.host.list_roots())
        return _Roots([Root(uri=r["uri"], name=r.get("name")) for r in reply.get("roots") or []])

    async def _list_changed(self, what):
        if what not in _NOTED:
            _NOTED.add(what)
            print(f"berth: notice: ctx.session.send_{what}_list_changed() was not sent: Berth's listings are fixed "
                  "when the project is built", file=sys.stderr)

    async def send_resource_list_changed(self):
        await self._list_changed("resource")

    async def send_tool_list_changed(self):
        await self._list_changed("tool")

    async def send_prompt_list_changed(self):
        await self._list_changed("prompt")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"ctx.session.{name} is not available in Berth: the platform holds the MCP session; "
                             "use the Context's methods (ctx.info, ctx.report_progress, ctx.elicit, ctx.sample, "
                             "ctx.read_resource, ...) or ctx.session.create_message / list_roots instead")


class _Roots:
    """``ListRootsResult``: ``.roots``."""

    def __init__(self, roots):
        self.roots = roots
