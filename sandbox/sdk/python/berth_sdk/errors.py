"""Errors the SDK raises, and how it points at the user's code in messages."""

import errno
import inspect
import os
import sys


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


# What a guest sees when it opens a file: Berth gives components no directories at run time.
_NO_FILE_ERRNOS = (errno.ENOENT, errno.EBADF, errno.EACCES, errno.EPERM, getattr(errno, "ENOTCAPABLE", -1))


def sandbox_hint(exc, platform=None):
    """The advice to add to a failure to open a file inside the sandbox (empty elsewhere): the component has
    no files at run time, but the module's top level runs at build time, where the project's files are."""
    if (platform or sys.platform) != "wasi" or not isinstance(exc, OSError) or exc.errno not in _NO_FILE_ERRNOS:
        return ""
    name = exc.filename if exc.filename is not None else "the file"
    return (f" (Berth runs the server without files at run time: read {name!r} at module top level, which "
            "runs at build time, e.g. DATA = pathlib.Path(__file__).with_name(...).read_bytes(), and use DATA; "
            "for Image/Audio/File pass data= instead of path=)")


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
