"""fastmcp, as Berth provides it: the same API, implemented by ``berth_sdk`` for WebAssembly."""

from berth_sdk import imports as _imports
from berth_sdk.content import Audio, File, Image
from berth_sdk.context import Context
from berth_sdk.global_settings import settings
from berth_sdk.server import FastMCP

_imports.install()

__version__ = "4.1.2+berth"

__all__ = ["Audio", "Context", "FastMCP", "File", "Image", "settings"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise ImportError(_imports.message(f"fastmcp.{name}"), name=f"fastmcp.{name}")
