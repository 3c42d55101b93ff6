"""The host seen from Python: a small interface the Context calls, and the async driver.

Inside a Berth component, ``berth_sdk.guest`` installs a host backed by the WIT imports. Run as
plain Python (``python server.py`` with the SDK on the path), a local stand-in logs to stderr and
keeps state in memory, so the same code runs in both places.
"""

import asyncio
import inspect
import sys
import time


class HostError(Exception):
    """A host capability failed or is unavailable (the message says which and why)."""


class StateError(HostError):
    """The project's key-value state refused a write: the key or value is too large, the state is at its
    quota (bytes or number of keys), or the store is unavailable. Nothing was stored."""


class LocalHost:
    """Host capabilities for plain Python: logs to stderr, state in memory, no client to ask."""

    def __init__(self):
        self.state = {}
        self.sessions = {}  # session id -> its state

    def log(self, level, logger, data_json):
        print(f"[{level}] {logger + ': ' if logger else ''}{data_json}", file=sys.stderr)

    def progress(self, progress, total, message):
        print(f"[progress] {progress}/{total} {message or ''}", file=sys.stderr)

    def kv_get(self, key):
        return self.state.get(key)

    def kv_set(self, key, value):
        self.state[key] = value

    def kv_delete(self, key):
        self.state.pop(key, None)

    def session_get(self, key):
        return self.sessions.get(current.session_id, {}).get(key)

    def session_set(self, key, value):
        self.sessions.setdefault(current.session_id, {})[key] = value

    def session_delete(self, key):
        self.sessions.get(current.session_id, {}).pop(key, None)

    def elicit(self, message, schema_json):
        raise HostError("elicitation needs an MCP client; it is not available when run locally")

    def sample(self, params_json):
        raise HostError("sampling needs an MCP client; it is not available when run locally")

    def list_roots(self):
        raise HostError("listing roots needs an MCP client; it is not available when run locally")

    def read_resource(self, uri):
        return None

    def environment(self):
        return None


class _Call:
    """Who is asking, for the call in progress."""

    def __init__(self, request_id="local", session_id=None):
        self.request_id = request_id
        self.session_id = session_id
        # ctx.set_state values that last for this request only (serializable=False, or no session).
        self.state = {}


host = LocalHost()
current = _Call()


# Set by berth_sdk.http in a component with wasi:http: waits for pending requests (or the timeout) and
# returns True, or returns False when none is pending.
io_wait = None


class _SleepSelector:
    """A selector without I/O: waiting just sleeps, which is all a guest without sockets needs."""

    def select(self, timeout=None):
        if io_wait is not None and io_wait(timeout):
            return []
        if timeout:
            time.sleep(timeout)
        return []

    def close(self):
        pass

    def get_map(self):
        return {}


class _GuestLoop(asyncio.BaseEventLoop):
    """An asyncio loop for WASI: timers and tasks work, sockets and subprocesses do not."""

    def __init__(self):
        super().__init__()
        self._selector = _SleepSelector()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass

    def close(self):
        self._selector = None
        super().close()


_loop = None


def run_sync(value):
    """Returns ``value``, or the result of running it to completion when it is awaitable.

    Calls share one loop, so what a lifespan made (tasks, clients bound to the loop) keeps working in
    later calls; ``async def`` tools, ``await asyncio.sleep(...)`` and tasks work the same in the
    component and in plain Python. A call made while the loop runs (a nested read) gets its own loop.
    """
    global _loop
    if not inspect.isawaitable(value):
        return value
    running = asyncio.events._get_running_loop()
    if running is not None:
        return _run_nested(value, running)
    if _loop is None or _loop.is_closed():
        _loop = _GuestLoop()
    asyncio.set_event_loop(_loop)
    try:
        return _loop.run_until_complete(value)
    finally:
        asyncio.set_event_loop(None)


def _run_nested(value, outer):
    loop = _GuestLoop()
    asyncio.events._set_running_loop(None)
    try:
        return loop.run_until_complete(value)
    finally:
        loop.close()
        asyncio.events._set_running_loop(outer)


__all__ = ["HostError", "LocalHost", "StateError", "run_sync"]
