"""Outbound HTTP for guests, through ``wasi:http``: the only way a guest reaches the network.

The host sends each request under the project's policy (its allowlist, the operator's address policy,
the call's caps) and does TLS itself. This module speaks ``wasi:http`` and nothing else: ``send`` (for
synchronous clients, waiting with ``pollable.block()``) and ``send_async`` (for asyncio, waiting through
the guest loop's selector, so that requests of ``asyncio.gather`` overlap). ``berth_sdk.http_clients``
puts httpx, urllib and requests on top of it.

A refusal by the host raises :class:`EgressRefused` (a ``ConnectionError``) with the host's message,
which names the host and says how to allow it; other failures raise :class:`HttpError` subclasses.
"""

import urllib.parse

try:  # Only a component built for the networked world has these; plain Python and older builds do not.
    import componentize_py_types
    from wit_world.imports import monotonic_clock, outgoing_handler, poll, streams
    from wit_world.imports import wasi_http_types as wt
    AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the build
    AVAILABLE = False

from berth_sdk import runtime

REFUSED = "egress refused: "
_CHUNK = 64 * 1024
# Headers the host sets or refuses (hop-by-hop, Host from the URL): dropped, as a proxy would.
_DROPPED = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                      "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings", "te"})


class HttpError(OSError):
    """An outbound request failed; ``code`` is the wasi:http error's name."""

    def __init__(self, message, code="internal-error"):
        super().__init__(message)
        self.code = code


class EgressRefused(HttpError, ConnectionError):
    """Berth refused the request: the host is not allowed, its address is private, or a cap is reached."""


class HttpTimeout(HttpError, TimeoutError):
    """The request ran out of time (its own timeout, the project's egress time limit or the call's)."""


class HttpConnectError(HttpError, ConnectionError):
    """The host could not be resolved or reached, or TLS with it failed."""


_TIMEOUTS = {"DnsTimeout", "ConnectionTimeout", "ConnectionReadTimeout", "ConnectionWriteTimeout",
             "HttpResponseTimeout"}
_CONNECT = {"DnsError", "DestinationNotFound", "DestinationUnavailable", "DestinationIpProhibited",
            "DestinationIpUnroutable", "ConnectionRefused", "ConnectionLimitReached", "TlsProtocolError",
            "TlsCertificateError", "TlsAlertReceived"}


def _error(code, host):
    """The exception for a wasi:http error code."""
    name = type(code).__name__.split("_", 1)[-1]
    value = getattr(code, "value", None)
    if name == "InternalError" and isinstance(value, str) and value.startswith(REFUSED):
        return EgressRefused(value[len(REFUSED):], "internal-error")
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    detail = ""
    if isinstance(value, str):
        detail = ": " + value
    elif value is not None and getattr(value, "rcode", None):
        detail = ": " + str(value.rcode)
    message = f"request to {host} failed: {kebab}{detail}"
    if name in _TIMEOUTS:
        return HttpTimeout(message, kebab)
    if name in _CONNECT:
        return HttpConnectError(message, kebab)
    return HttpError(message, kebab)


def _need():
    if not AVAILABLE:
        raise HttpError("outbound HTTP is not available in this build (it lacks wasi:http); "
                        "Berth builds Python servers with it, so rebuild the project")


def _method(name):
    upper = name.upper()
    simple = {"GET": wt.Method_Get, "HEAD": wt.Method_Head, "POST": wt.Method_Post, "PUT": wt.Method_Put,
              "DELETE": wt.Method_Delete, "CONNECT": wt.Method_Connect, "OPTIONS": wt.Method_Options,
              "TRACE": wt.Method_Trace, "PATCH": wt.Method_Patch}
    if upper in simple:
        return simple[upper]()
    return wt.Method_Other(name)


def _ns(seconds):
    return None if seconds is None else max(0, int(seconds * 1_000_000_000))


class Response:
    """A response whose body streams from the host: ``read``/``aread`` a chunk at a time, then ``close``."""

    def __init__(self, incoming, host):
        self.status = incoming.status()
        with incoming.headers() as fields:
            self.headers = [(k, v) for k, v in fields.entries()]
        self._incoming = incoming
        self._body = incoming.consume()
        self._stream = self._body.stream()
        self._host = host
        self.closed = False

    def _chunk(self, data_or_wait):
        """One read: bytes, ``b""`` at the end, or ``None`` when nothing is there yet."""
        try:
            data = data_or_wait(_CHUNK)
        except componentize_py_types.Err as err:
            if isinstance(err.value, streams.StreamError_Closed):
                self.close()
                return b""
            failure = err.value.value
            code = wt.http_error_code(failure)
            message = failure.to_debug_string()
            self.close()
            if code is not None:
                raise _error(code, self._host) from None
            raise HttpError(f"reading the response of {self._host} failed: {message}") from None
        return data if data else None

    def read(self):
        """The next chunk of the body, waiting for it; ``b""`` at its end."""
        if self.closed:
            return b""
        while True:
            data = self._chunk(self._stream.blocking_read)
            if data is not None:
                return data

    async def aread(self):
        """The next chunk, letting other tasks run while it comes; ``b""`` at the end."""
        if self.closed:
            return b""
        while True:
            data = self._chunk(self._stream.read)
            if data is not None:
                return data
            with self._stream.subscribe() as ready:
                await wait(ready)

    def close(self):
        if self.closed:
            return
        self.closed = True
        for part in (self._stream, self._body, self._incoming):
            try:
                part.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - already gone
                pass


def _start(method, url, headers, timeout):
    """Builds and hands over a request; returns (future response, outgoing body, host)."""
    _need()
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise HttpError(f"only http:// and https:// URLs can be fetched, not {url!r}")
    host = parts.hostname or ""
    if not host:
        raise HttpError(f"the URL {url!r} names no host")
    authority = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    entries = []
    for name, value in headers:
        name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if name.lower() in _DROPPED:
            continue
        value = value if isinstance(value, bytes) else str(value).encode("latin-1")
        entries.append((name, value))
    try:
        fields = wt.Fields.from_list(entries)
    except componentize_py_types.Err as err:
        raise HttpError(f"a request header was refused ({type(err.value).__name__})") from None
    request = wt.OutgoingRequest(fields)
    request.set_method(_method(method))
    request.set_scheme(wt.Scheme_Https() if scheme == "https" else wt.Scheme_Http())
    request.set_authority(authority)
    request.set_path_with_query(path)
    options = wt.RequestOptions()
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    try:
        options.set_connect_timeout(_ns(connect))
        options.set_first_byte_timeout(_ns(read))
        options.set_between_bytes_timeout(_ns(read))
    except componentize_py_types.Err:
        pass
    body = request.body()
    try:
        future = outgoing_handler.handle(request, options)
    except componentize_py_types.Err as err:
        raise _error(err.value, host) from None
    return future, body, host


def _chunks(content):
    if content is None:
        return
    if isinstance(content, (bytes, bytearray, memoryview)):
        content = [bytes(content)]
    elif isinstance(content, str):
        content = [content.encode("utf-8")]
    for chunk in content:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        if chunk:
            yield bytes(chunk)


def _finish(future, host):
    result = future.get()
    future.__exit__(None, None, None)
    if result is None:
        raise HttpError(f"the response of {host} was not ready")
    if isinstance(result, componentize_py_types.Err):
        raise HttpError(f"the response of {host} was already taken")
    inner = result.value
    if isinstance(inner, componentize_py_types.Err):
        raise _error(inner.value, host)
    return Response(inner.value, host)


def _close_body(out, body, host):
    out.__exit__(None, None, None)
    try:
        wt.OutgoingBody.finish(body, None)
    except componentize_py_types.Err as err:
        raise _error(err.value, host) from None


def _write_error(future, host):
    """A body write failed: the response future has the reason (a cap, a closed connection)."""
    with future.subscribe() as ready:
        ready.block()
    try:
        _finish(future, host)
    except HttpError:
        raise
    raise HttpError(f"sending the request body to {host} failed")


def send(method, url, headers=(), content=None, timeout=None):
    """Sends a request and waits for its response head; the body streams from ``Response.read``."""
    future, body, host = _start(method, url, headers, timeout)
    out = body.write()
    try:
        for chunk in _chunks(content):
            while chunk:
                piece, chunk = chunk[:_CHUNK], chunk[_CHUNK:]
                out.blocking_write_and_flush(piece)
    except componentize_py_types.Err:
        out.__exit__(None, None, None)
        _write_error(future, host)
    _close_body(out, body, host)
    with future.subscribe() as ready:
        ready.block()
    return _finish(future, host)


async def send_async(method, url, headers=(), content=None, timeout=None):
    """As :func:`send`, waiting through the event loop; ``content`` may be an async iterable."""
    future, body, host = _start(method, url, headers, timeout)
    out = body.write()
    try:
        if hasattr(content, "__aiter__"):
            async for chunk in content:
                await _write_async(out, bytes(chunk))
        else:
            for chunk in _chunks(content):
                await _write_async(out, chunk)
    except componentize_py_types.Err:
        out.__exit__(None, None, None)
        _write_error(future, host)
    _close_body(out, body, host)
    with future.subscribe() as ready:
        await wait(ready)
    return _finish(future, host)


async def _write_async(out, data):
    while data:
        room = out.check_write()
        if room == 0:
            with out.subscribe() as ready:
                await wait(ready)
            continue
        out.write(data[:room])
        data = data[room:]
    out.flush()


# The guest loop's waits: pollables of pending requests, each with the future to wake.
_waiting = []


async def wait(pollable):
    """Waits for a pollable while other tasks run."""
    import asyncio
    if pollable.ready():
        return
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    _waiting.append((pollable, done))
    try:
        await done
    finally:
        _waiting[:] = [(p, f) for p, f in _waiting if f is not done]


def _select(timeout):
    """The guest loop's wait: until a pending request can go on, or ``timeout`` seconds have passed.

    Returns False when there is nothing to wait for (the loop then sleeps as before).
    """
    live = [(p, f) for p, f in _waiting if not f.done()]
    if not live:
        return False
    pollables = [p for p, _ in live]
    timer = None
    if timeout is not None:
        timer = monotonic_clock.subscribe_duration(_ns(timeout))
        pollables.append(timer)
    try:
        ready = poll.poll(pollables)
    finally:
        if timer is not None:
            timer.__exit__(None, None, None)
    for i in ready:
        if i < len(live) and not live[i][1].done():
            live[i][1].set_result(None)
    return True


if AVAILABLE:
    runtime.io_wait = _select

__all__ = ["AVAILABLE", "EgressRefused", "HttpConnectError", "HttpError", "HttpTimeout", "Response", "send",
           "send_async", "wait"]
