"""``fastmcp.server.dependencies``: the call in progress (``get_context``, ``get_server``) and the
dependency defaults (``CurrentContext``, ...) under their other import path."""

from berth_sdk.context import get_context, get_server
from berth_sdk.dependencies import CurrentAccessToken, CurrentContext, CurrentFastMCP, CurrentHeaders, \
    CurrentRequest, Depends, OptionalCurrentContext, TokenClaim

__all__ = ["CurrentAccessToken", "CurrentContext", "CurrentFastMCP", "CurrentHeaders", "CurrentRequest",
           "Depends", "OptionalCurrentContext", "TokenClaim", "get_context", "get_server"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    from berth_sdk import imports

    raise ImportError(imports.message(f"fastmcp.server.dependencies.{name}"), name=name)
