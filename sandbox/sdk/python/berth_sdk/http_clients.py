"""httpx, urllib.request and requests over ``wasi:http``, installed without the user changing code.

A guest's CPython has no ``_ssl`` and no usable sockets, so these libraries cannot send anything on
their own. :func:`install` (run when the guest starts, before the user's module is imported):

- gives the guest an ``ssl`` module (``berth_sdk.ssl_stub``) when it has none, so they import;
- makes httpx's default transports (``httpx.HTTPTransport``/``AsyncHTTPTransport``, which every
  ``Client``/``AsyncClient`` makes unless given another) send through ``berth_sdk.http``;
- gives urllib's ``HTTPHandler`` and ``HTTPSHandler`` an ``open`` that does the same;
- makes requests' ``HTTPAdapter.send`` do the same, answering with urllib3's own response type, so
  decoding, streaming and cookies behave as natively.

httpx and requests are patched when they are imported (an import hook), since they come from the
user's requirements. Redirects stay the client's: each hop is a new request the host checks.
Errors map to each library's own: a refusal is ``httpx.ConnectError``, ``urllib.error.URLError``,
``requests.ConnectionError``, with the host's message naming the host and how to allow it.
"""

import email.message
import http.client as http_client
import importlib.abc
import io
import sys
import urllib.error
import urllib.request
import urllib.response

from berth_sdk import http as wasi

_PATCHED = set()


def install():
    """Installs the stand-ins; safe to call twice."""
    if not wasi.AVAILABLE:
        return
    try:
        import ssl  # noqa: F401
    except ImportError:
        from berth_sdk import ssl_stub
        sys.modules["ssl"] = ssl_stub
    _patch_urllib()
    if not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
    for name in list(_AFTER):
        if name in sys.modules:
            _run_patch(name)


# --- httpx -------------------------------------------------------------------------------------------

def _httpx_timeout(request):
    t = request.extensions.get("timeout") or {}
    return (t.get("connect"), t.get("read"))


def _httpx_error(httpx, err, request):
    if isinstance(err, wasi.EgressRefused):
        return httpx.ConnectError(f"{err} (Berth refused the request)", request=request)
    if isinstance(err, wasi.HttpTimeout):
        kind = httpx.ConnectTimeout if "dns" in err.code or err.code == "connection-timeout" else httpx.ReadTimeout
        return kind(str(err), request=request)
    if isinstance(err, wasi.HttpConnectError):
        return httpx.ConnectError(str(err), request=request)
    return httpx.ReadError(str(err), request=request)


def _patch_httpx(httpx):
    class SyncStream(httpx.SyncByteStream):
        def __init__(self, response, request):
            self._r, self._request = response, request

        def __iter__(self):
            while True:
                try:
                    chunk = self._r.read()
                except wasi.HttpError as err:
                    raise _httpx_error(httpx, err, self._request) from None
                if not chunk:
                    return
                yield chunk

        def close(self):
            self._r.close()

    class AsyncStream(httpx.AsyncByteStream):
        def __init__(self, response, request):
            self._r, self._request = response, request

        async def __aiter__(self):
            while True:
                try:
                    chunk = await self._r.aread()
                except wasi.HttpError as err:
                    raise _httpx_error(httpx, err, self._request) from None
                if not chunk:
                    return
                yield chunk

        async def aclose(self):
            self._r.close()

    class HTTPTransport(httpx.BaseTransport):
        """httpx's default transport, sending through the Berth host (wasi:http)."""

        def __init__(self, *args, **kwargs):
            pass

        def handle_request(self, request):
            try:
                r = wasi.send(request.method, str(request.url), request.headers.raw, request.stream,
                              _httpx_timeout(request))
            except wasi.HttpError as err:
                raise _httpx_error(httpx, err, request) from None
            return httpx.Response(r.status, headers=r.headers, stream=SyncStream(r, request),
                                  extensions={"http_version": b"HTTP/1.1"})

    class AsyncHTTPTransport(httpx.AsyncBaseTransport):
        """httpx's default async transport, sending through the Berth host (wasi:http)."""

        def __init__(self, *args, **kwargs):
            pass

        async def handle_async_request(self, request):
            try:
                r = await wasi.send_async(request.method, str(request.url), request.headers.raw,
                                          request.stream, _httpx_timeout(request))
            except wasi.HttpError as err:
                raise _httpx_error(httpx, err, request) from None
            return httpx.Response(r.status, headers=r.headers, stream=AsyncStream(r, request),
                                  extensions={"http_version": b"HTTP/1.1"})

    httpx.HTTPTransport = HTTPTransport
    httpx.AsyncHTTPTransport = AsyncHTTPTransport
    for module in ("httpx._client", "httpx._transports.default", "httpx._transports"):
        m = sys.modules.get(module)
        if m is not None:
            m.HTTPTransport = HTTPTransport
            m.AsyncHTTPTransport = AsyncHTTPTransport


# --- urllib ------------------------------------------------------------------------------------------

def _urllib_open(self, req):
    headers = dict(req.unredirected_hdrs)
    headers.update(req.headers)
    data = req.data
    if data is not None and "Content-length" not in headers and isinstance(data, (bytes, bytearray)):
        headers["Content-length"] = str(len(data))
    try:
        r = wasi.send(req.get_method(), req.full_url, list(headers.items()), data, req.timeout
                      if isinstance(req.timeout, (int, float)) else None)
    except wasi.EgressRefused as err:
        raise urllib.error.URLError(f"{err} (Berth refused the request)") from None
    except wasi.HttpError as err:
        raise urllib.error.URLError(str(err)) from None
    msg = email.message.Message()
    for k, v in r.headers:
        msg[k] = v.decode("latin-1")
    resp = urllib.response.addinfourl(_Reader(r), msg, req.full_url, r.status)
    resp.msg = _REASONS.get(r.status, "")
    resp.reason = resp.msg
    return resp


class _Reader(io.RawIOBase):
    """A response body as a file, for urllib (and urllib3 below)."""

    def __init__(self, response):
        self._r = response
        self._left = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self._left:
            try:
                self._left = self._r.read()
            except wasi.HttpError as err:
                raise OSError(str(err)) from None
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n

    def close(self):
        self._r.close()
        super().close()


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
            303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable"}


def _patch_urllib():
    ur = urllib.request
    ur.HTTPHandler.http_open = _urllib_open
    if not hasattr(ur, "HTTPSHandler"):
        class HTTPSHandler(ur.AbstractHTTPHandler):
            def __init__(self, *args, **kwargs):
                super().__init__()

            https_request = ur.AbstractHTTPHandler.do_request_

        ur.HTTPSHandler = HTTPSHandler
    ur.HTTPSHandler.https_open = _urllib_open
    if not hasattr(http_client, "HTTPSConnection"):
        http_client.HTTPSConnection = http_client.HTTPConnection
    # A default opener made before this would hold handlers without these methods.
    ur._opener = None


# --- requests ----------------------------------------------------------------------------------------

def _patch_requests(requests):
    import requests.adapters
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers
    from urllib3.response import HTTPResponse

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if isinstance(timeout, tuple):
            pair = timeout
        else:
            pair = (timeout, timeout)
        try:
            r = wasi.send(request.method, request.url, list(request.headers.items()), request.body, pair)
        except wasi.EgressRefused as err:
            raise requests.exceptions.ConnectionError(f"{err} (Berth refused the request)",
                                                      request=request) from None
        except wasi.HttpTimeout as err:
            kind = requests.exceptions.ConnectTimeout if "connection" in err.code or "dns" in err.code \
                else requests.exceptions.ReadTimeout
            raise kind(str(err), request=request) from None
        except wasi.HttpConnectError as err:
            raise requests.exceptions.ConnectionError(str(err), request=request) from None
        except wasi.HttpError as err:
            raise requests.exceptions.ConnectionError(str(err), request=request) from None
        headers = [(k, v.decode("latin-1")) for k, v in r.headers]
        raw = HTTPResponse(body=io.BufferedReader(_Reader(r)), headers=headers, status=r.status,
                           reason=_REASONS.get(r.status), preload_content=False, decode_content=True,
                           request_url=request.url)
        response = requests.models.Response()
        response.status_code = r.status
        response.headers = CaseInsensitiveDict(raw.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = raw.reason
        response.url = request.url.decode("utf-8") if isinstance(request.url, bytes) else request.url
        response.request = request
        response.connection = self
        if not stream:
            response.content  # noqa: B018 - read now, as requests does without stream=True
        return response

    requests.adapters.HTTPAdapter.send = send


_AFTER = {"httpx": _patch_httpx, "requests": _patch_requests}


def _run_patch(name):
    if name in _PATCHED:
        return
    _PATCHED.add(name)
    _AFTER[name](sys.modules[name])


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches httpx and requests right after they are first imported."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _AFTER or fullname in _PATCHED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, fullname)
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, inner, name):
        self._inner, self._name = inner, name

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _run_patch(self._name)


__all__ = ["install"]
