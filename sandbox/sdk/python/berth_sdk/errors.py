"""Errors the SDK raises, and how it points at the user's code in messages."""

import inspect
import os


class ToolError(Exception):
    """Raise from a tool to return an error result whose text is exactly this message."""


class ResourceError(Exception):
    """Raise from a resource to report a failed read."""


class PromptError(Exception):
    """Raise from a prompt to report a failed render."""


class FastMCPError(Exception):
    """Base of fastmcp's errors, for ``except`` clauses in user code."""


class DefinitionError(Exception):
    """The server's definition is wrong (found at build time); the message names file and line."""


class ReportedError(Exception):
    """A failed read, render or start whose message is exactly what the client should see."""


class NotFound(LookupError):
    """No tool, resource or prompt by that name or URI."""


def where(fn):
    """``server.py:12`` for a function, as short as the path allows."""
    target = inspect.unwrap(fn) if callable(fn) else fn
    try:
        path = inspect.getsourcefile(target) or inspect.getfile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        code = getattr(target, "__code__", None)
        if code is None:
            return getattr(target, "__qualname__", repr(target))
        path, line = code.co_filename, code.co_firstlineno
    return f"{os.path.basename(path)}:{line}"


class McpError(Exception):
    """A JSON-RPC error: ``McpError(ErrorData(code=..., message=...))`` (SDK 1.x) or
    ``MCPError(code, message)`` (SDK 2.x, fastmcp 4.x). Raised during a call, the client gets that error."""

    def __init__(self, error=None, message=None, data=None, *, code=None):
        from berth_sdk.mcp_types import ErrorData

        if isinstance(error, int):
            code, error = error, None
        if error is None:
            error = ErrorData(code=code if code is not None else -32603, message=message or "", data=data)
        self.error = error
        super().__init__(error.message)

    @property
    def code(self):
        return self.error.code
