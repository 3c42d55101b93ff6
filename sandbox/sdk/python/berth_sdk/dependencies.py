"""Dependency injection as fastmcp 4.x does it (``fastmcp.dependencies``, built on ``uncalled_for``).

A parameter whose default is a dependency (``Depends(factory)``, ``CurrentContext()``,
``CurrentFastMCP()``) is not an argument: it is left out of the schema, a client that sends it gets
pydantic's ``unexpected_keyword_argument``, and its value is resolved before each call. Factories may
be sync or async functions or (async) context managers, may depend on other dependencies, and are
resolved once per call (two parameters on the same factory share its value); context managers exit
after the call. Dependencies that need what Berth does not pass to the guest (the HTTP request, its
headers, the access token) fail the build naming what to use instead.
"""

import contextlib
import inspect

from berth_sdk.errors import DefinitionError


class Dependency:
    """Base of everything a parameter default may ask to have injected."""

    async def resolve(self, scope):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class _Depends(Dependency):
    def __init__(self, factory, **bindings):
        if not callable(factory):
            raise TypeError(f"Depends() needs a function, got {type(factory).__name__}")
        self.factory = factory
        self.bindings = bindings

    def _key(self):
        try:
            return self.factory, tuple(sorted((k, v) for k, v in self.bindings.items()))
        except TypeError:
            return self.factory, id(self)

    async def resolve(self, scope):
        key = self._key()
        if key in scope.cache:
            return scope.cache[key]
        arguments = await scope.arguments(self.factory, skip=self.bindings)
        for name, value in self.bindings.items():
            arguments[name] = await value.resolve(scope) if isinstance(value, Dependency) else value
        value = self.factory(**arguments)
        if isinstance(value, contextlib.AbstractAsyncContextManager):
            value = await scope.stack.enter_async_context(value)
        elif isinstance(value, contextlib.AbstractContextManager):
            value = scope.stack.enter_context(value)
        elif inspect.isawaitable(value):
            value = await value
        scope.cache[key] = value
        return value

    def __repr__(self):
        return f"Depends({getattr(self.factory, '__name__', self.factory)!r})"


def Depends(factory, **bindings):  # noqa: N802 - fastmcp's spelling
    """A parameter default whose value ``factory()`` gives at each call."""
    return _Depends(factory, **bindings)


class _CurrentContext(Dependency):
    async def resolve(self, scope):
        from berth_sdk.context import get_context

        return get_context()


class _CurrentFastMCP(Dependency):
    async def resolve(self, scope):
        from berth_sdk.context import get_server

        return get_server()


def CurrentContext():  # noqa: N802
    """The call's ``Context``, as a parameter default."""
    return _CurrentContext()


def OptionalCurrentContext():  # noqa: N802
    return _CurrentContext()


def CurrentFastMCP():  # noqa: N802
    """The server serving the call, as a parameter default."""
    return _CurrentFastMCP()


def _unavailable(name, why):
    def make(*_args, **_kwargs):
        from berth_sdk.options import caller

        raise DefinitionError(f"{caller()}: {name}() is not available in Berth: {why}")

    make.__name__ = name
    return make


_NO_HEADERS = ("Berth does not pass the client's HTTP request or headers to the server; use the project's "
               "environment variables (berth env set) for secrets")
_NO_TOKEN = ("Berth authenticates clients itself and does not pass their tokens to the server; check the caller "
             "with the project's access settings")
CurrentRequest = _unavailable("CurrentRequest", _NO_HEADERS)
CurrentHeaders = _unavailable("CurrentHeaders", _NO_HEADERS)
CurrentAccessToken = _unavailable("CurrentAccessToken", _NO_TOKEN)
TokenClaim = _unavailable("TokenClaim", _NO_TOKEN)


def injected(fn):
    """``{parameter name: Dependency}`` for the parameters of ``fn`` whose default is a dependency."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if isinstance(p.default, Dependency)}


class _Scope:
    """One call's resolution: its cache (a factory runs once per call) and its exit stack."""

    def __init__(self):
        self.cache = {}
        self.stack = contextlib.AsyncExitStack()

    async def arguments(self, fn, skip=()):
        return {name: await dep.resolve(self) for name, dep in injected(fn).items() if name not in skip}


async def call_with(fn, kwargs, dependencies):
    """Calls ``fn(**kwargs)`` with its dependencies resolved; context managers exit after the call."""
    scope = _Scope()
    async with scope.stack:
        for name, dependency in dependencies.items():
            kwargs[name] = await dependency.resolve(scope)
        value = fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return value
