"""The official MCP SDK's server-side names, as Berth provides them (implemented by ``berth_sdk``)."""

from berth_sdk import imports as _imports

_imports.install()
