"""``mcp.server.session.ServerSession``: importable for type hints such as ``Context[ServerSession, None]``.

Berth's platform holds the MCP session; user code talks to the client through the Context's methods.
"""


class ServerSession:
    """A type for annotations only: Berth never hands a session object to user code."""

    def __init__(self, *_args, **_kwargs):
        raise TypeError("ServerSession cannot be created in Berth: the platform holds the MCP session")


__all__ = ["ServerSession"]
