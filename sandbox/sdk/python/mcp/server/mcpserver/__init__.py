"""``from mcp.server.mcpserver import MCPServer, Context`` (the official SDK 2.x name) and the names the SDK
exports beside them. Its resolver injection (``Resolve``, ``Elicit``, ``Sample``, ``ListRoots``), extensions and
request-state security are not part of Berth's SDK: importing one says so and what to use."""

from berth_sdk.components import AssistantMessage, Message, UserMessage
from berth_sdk.content import Audio, Image
from berth_sdk.context import AcceptedElicitation, CancelledElicitation, Context, DeclinedElicitation, \
    ElicitationResult
from berth_sdk.flavours import MCPServer
from berth_sdk.mcp_types import Icon

__all__ = ["AcceptedElicitation", "AssistantMessage", "Audio", "CancelledElicitation", "Context",
           "DeclinedElicitation", "ElicitationResult", "Icon", "Image", "MCPServer", "Message", "UserMessage"]

_NOT_PROVIDED = {
    "Resolve": "ask with ctx.elicit(...) inside the tool instead of a resolver",
    "Elicit": "ask with ctx.elicit(...) inside the tool instead of a resolver",
    "Sample": "call ctx.sample(...) inside the tool instead of a resolver",
    "ListRoots": "call ctx.list_roots() inside the tool instead of a resolver",
}


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    why = _NOT_PROVIDED.get(name, "it is not part of Berth's SDK (see the import table in Berth's SDK README)")
    raise ImportError(f"Berth does not provide `mcp.server.mcpserver.{name}`: {why}", name=name)
