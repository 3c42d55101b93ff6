"""fastmcp's composable lifespans (``fastmcp.server.lifespan``): ``@lifespan`` on an async generator of the
server, ``|`` to compose (left entered first, exited last, the yielded dicts merged), and
``ContextManagerLifespan`` for an ``@asynccontextmanager`` one. Berth enters the result as any lifespan
(``FastMCP._start``: once per instance, before its first call)."""

import contextlib


class Lifespan:
    def __init__(self, fn):
        self._fn = fn

    @contextlib.asynccontextmanager
    async def __call__(self, server):
        async with contextlib.asynccontextmanager(self._fn)(server) as result:
            yield result if result is not None else {}

    def __or__(self, other):
        if not isinstance(other, Lifespan):
            raise TypeError(f"Cannot compose Lifespan with {type(other).__name__}. Use @lifespan decorator or wrap "
                            "with ContextManagerLifespan().")
        return ComposedLifespan(self, other)


class ContextManagerLifespan(Lifespan):
    """An ``@asynccontextmanager`` lifespan, made composable."""

    @contextlib.asynccontextmanager
    async def __call__(self, server):
        async with self._fn(server) as result:
            yield result if result is not None else {}


class ComposedLifespan(Lifespan):
    def __init__(self, left, right):
        self._left, self._right = left, right

    @contextlib.asynccontextmanager
    async def __call__(self, server):
        async with self._left(server) as left, self._right(server) as right:
            yield {**left, **right}


def lifespan(fn):
    """``@lifespan``: an async generator of the server that yields a dict, composable with ``|``."""
    return Lifespan(fn)
