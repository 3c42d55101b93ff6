"""``from fastmcp.server.dependencies import get_context``: the Context of the call in progress."""

from berth_sdk.context import get_context

__all__ = ["get_context"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    from berth_sdk import imports

    raise ImportError(imports.message(f"fastmcp.server.dependencies.{name}"), name=name)
