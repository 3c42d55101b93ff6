"""The middleware fastmcp ships (timing, logging, error handling, retries, rate limiting, response caching),
with its constructors and behaviour, written for Berth.

Where Berth differs: state (rate-limit buckets, cached responses, error counts) lives in one
instance's memory, and a project may run several instances, each with its own; list hooks run once,
at build time. Logs go to Python's ``logging`` (stderr), which is the project's log in Berth.
"""

import asyncio
import collections
import json
import logging
import time
import traceback

from berth_sdk.errors import McpError, NotFound
from berth_sdk.middleware import Middleware
from berth_sdk.options import caller, notice


def _per_instance(name):
    notice(f"{caller()}: {name} keeps its state in each instance's memory; a project with several warm instances "
           "has one such state per instance, not one for the whole project")



async def _timed(logger, level, context, call_next, operation):
    """Runs the rest of the chain and logs how long `operation` took, or how long it ran before failing."""
    start = time.perf_counter()
    try:
        result = await call_next(context)
    except Exception as exc:
        logger.log(level, f"{operation} failed after {(time.perf_counter() - start) * 1000:.2f}ms: {exc}")
        raise
    logger.log(level, f"{operation} completed in {(time.perf_counter() - start) * 1000:.2f}ms")
    return result

class TimingMiddleware(Middleware):
    """Logs how long each request took."""

    def __init__(self, logger=None, log_level=logging.INFO):
        self.logger = logger or logging.getLogger("fastmcp.timing")
        self.log_level = log_level

    async def on_request(self, context, call_next):
        return await _timed(self.logger, self.log_level, context, call_next, f"Request {context.method or 'unknown'}")


class DetailedTimingMiddleware(Middleware):
    """Logs the time of each tool call, resource read and prompt render, naming it."""

    def __init__(self, logger=None, log_level=logging.INFO):
        self.logger = logger or logging.getLogger("fastmcp.timing.detailed")
        self.log_level = log_level

    async def on_call_tool(self, context, call_next):
        return await _timed(self.logger, self.log_level, context, call_next, f"Tool '{context.message.name}'")

    async def on_read_resource(self, context, call_next):
        return await _timed(self.logger, self.log_level, context, call_next, f"Resource '{context.message.uri}'")

    async def on_get_prompt(self, context, call_next):
        return await _timed(self.logger, self.log_level, context, call_next, f"Prompt '{context.message.name}'")


def _payload(context):
    message = context.message
    data = message.model_dump() if hasattr(message, "model_dump") else getattr(message, "__dict__", str(message))
    return json.dumps(data, default=str)


class LoggingMiddleware(Middleware):
    """Logs each request (method, source, and optionally its payload) and its outcome."""

    def __init__(self, *, logger=None, log_level=logging.INFO, include_payloads=False, include_payload_length=False,
                 estimate_payload_tokens=False, max_payload_length=1000, methods=None, payload_serializer=None,
                 structured_logging=False):
        self.logger = logger or logging.getLogger("fastmcp.structured" if structured_logging else "fastmcp.requests")
        self.log_level = log_level
        self.include_payloads = include_payloads
        self.include_payload_length = include_payload_length
        self.estimate_payload_tokens = estimate_payload_tokens
        self.max_payload_length = max_payload_length
        self.methods = methods
        self.payload_serializer = payload_serializer
        self.structured_logging = structured_logging

    def _line(self, event, context, **extra):
        fields = {"event": event, "method": context.method, "source": context.source, **extra}
        if self.include_payloads or self.include_payload_length or self.estimate_payload_tokens:
            text = self.payload_serializer(context.message) if self.payload_serializer else _payload(context)
            if self.include_payloads:
                cut = self.max_payload_length
                fields["payload"] = text if not cut or len(text) <= cut else text[:cut] + "..."
            if self.include_payload_length:
                fields["payload_length"] = len(text)
            if self.estimate_payload_tokens:
                fields["payload_tokens"] = len(text) // 4
        if self.structured_logging:
            return json.dumps(fields, default=str)
        return " ".join(f"{k}={v}" for k, v in fields.items())

    async def on_message(self, context, call_next):
        if self.methods and context.method not in self.methods:
            return await call_next(context)
        self.logger.log(self.log_level, self._line("request_start", context))
        start = time.perf_counter()
        try:
            result = await call_next(context)
        except Exception as exc:
            self.logger.log(logging.ERROR, self._line("request_error", context, error=str(exc)))
            raise
        self.logger.log(self.log_level, self._line("request_success", context,
                                                   duration_ms=round((time.perf_counter() - start) * 1000, 2)))
        return result


class StructuredLoggingMiddleware(LoggingMiddleware):
    """``LoggingMiddleware`` writing one JSON object per line."""

    def __init__(self, **kwargs):
        super().__init__(structured_logging=True, **kwargs)


class ErrorHandlingMiddleware(Middleware):
    """Logs errors, counts them, and turns exceptions into MCP errors with fitting codes."""

    def __init__(self, logger=None, include_traceback=False, error_callback=None, transform_errors=True):
        self.logger = logger or logging.getLogger("fastmcp.errors")
        self.include_traceback = include_traceback
        self.error_callback = error_callback
        self.transform_errors = transform_errors
        self.error_counts = {}

    def _transform(self, error, context):
        if isinstance(error, McpError) or not self.transform_errors:
            return error
        kind = type(error.__cause__) if error.__cause__ else type(error)
        if kind in (ValueError, TypeError):
            return McpError(code=-32602, message=f"Invalid params: {error!s}")
        if kind in (FileNotFoundError, KeyError, NotFound):
            if (context.method or "").startswith("resources/"):
                return McpError(code=-32002, message=f"Resource not found: {error!s}")
            return McpError(code=-32001, message=f"Not found: {error!s}")
        if kind is PermissionError:
            return McpError(code=-32000, message=f"Permission denied: {error!s}")
        if kind in (TimeoutError, asyncio.TimeoutError):
            return McpError(code=-32000, message=f"Request timeout: {error!s}")
        return McpError(code=-32603, message=f"Internal error: {error!s}")

    async def on_message(self, context, call_next):
        try:
            return await call_next(context)
        except Exception as error:
            key = f"{type(error).__name__}:{context.method or 'unknown'}"
            self.error_counts[key] = self.error_counts.get(key, 0) + 1
            message = f"Error in {context.method or 'unknown'}: {type(error).__name__}: {error!s}"
            self.logger.error(f"{message}\n{traceback.format_exc()}" if self.include_traceback else message)
            if self.error_callback:
                try:
                    self.error_callback(error, context)
                except Exception as callback_error:  # the callback must not hide the original error
                    self.logger.error(f"Error in error callback: {callback_error}")
            transformed = self._transform(error, context)
            if transformed is error:
                raise
            raise transformed from error

    def get_error_stats(self):
        return dict(self.error_counts)


class RetryMiddleware(Middleware):
    """Retries a request that failed with one of ``retry_exceptions``, with exponential backoff."""

    def __init__(self, max_retries=3, base_delay=1.0, max_delay=60.0, backoff_multiplier=2.0,
                 retry_exceptions=(ConnectionError, TimeoutError), logger=None):
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.backoff_multiplier = backoff_multiplier
        self.retry_exceptions = retry_exceptions
        self.logger = logger or logging.getLogger("fastmcp.retry")

    async def on_request(self, context, call_next):
        for attempt in range(self.max_retries + 1):
            try:
                return await call_next(context)
            except Exception as error:
                cause = error.__cause__ or error
                if attempt == self.max_retries or not isinstance(cause, self.retry_exceptions):
                    raise
                delay = min(self.base_delay * self.backoff_multiplier ** attempt, self.max_delay)
                self.logger.warning(f"Request {context.method} failed (attempt {attempt + 1}): {error}; "
                                    f"retrying in {delay:.1f}s")
                await asyncio.sleep(delay)


class RateLimitError(McpError):
    """The request was refused by a rate limit."""

    def __init__(self, message="Rate limit exceeded"):
        super().__init__(code=-32000, message=message)


class TokenBucketRateLimiter:
    def __init__(self, capacity, refill_rate):
        self.capacity = capacity
        self.refill_rate = refill_rate
        self.tokens = float(capacity)
        self.last_refill = None

    async def consume(self, tokens=1):
        now = time.monotonic()
        if self.last_refill is not None:  # the clock of a fresh instance may be behind the build's
            self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.last_refill) * self.refill_rate)
        self.last_refill = now
        if self.tokens >= tokens:
            self.tokens -= tokens
            return True
        return False


class SlidingWindowRateLimiter:
    def __init__(self, max_requests, window_seconds):
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        self.requests = collections.deque()

    async def is_allowed(self):
        now = time.monotonic()
        while self.requests and not (0 <= now - self.requests[0] < self.window_seconds):
            self.requests.popleft()
        if len(self.requests) < self.max_requests:
            self.requests.append(now)
            return True
        return False


async def _client_id(get_client_id, context):
    if get_client_id is None:
        return "global"
    value = get_client_id(context)
    return await value if asyncio.iscoroutine(value) else value


class RateLimitingMiddleware(Middleware):
    """A token bucket per client (or one for all): sustained rate plus a burst; over it, ``RateLimitError``."""

    def __init__(self, max_requests_per_second=10.0, burst_capacity=None, get_client_id=None, global_limit=False):
        _per_instance("RateLimitingMiddleware")
        self.max_requests_per_second = max_requests_per_second
        default = int(max_requests_per_second * 2)
        self.burst_capacity = burst_capacity or (max(1, default) if max_requests_per_second > 0 else default)
        self.get_client_id = get_client_id
        self.global_limit = global_limit
        self.limiters = collections.defaultdict(
            lambda: TokenBucketRateLimiter(self.burst_capacity, self.max_requests_per_second))

    async def on_request(self, context, call_next):
        if context.method and context.method.endswith("/list"):
            return await call_next(context)  # listings are computed at build time, not per client
        key = "global" if self.global_limit else await _client_id(self.get_client_id, context)
        if not await self.limiters[key].consume():
            raise RateLimitError("Global rate limit exceeded" if self.global_limit
                                 else f"Rate limit exceeded for client: {key}")
        return await call_next(context)


class SlidingWindowRateLimitingMiddleware(Middleware):
    """At most ``max_requests`` per client in any ``window_minutes``."""

    def __init__(self, max_requests, window_minutes=1, get_client_id=None):
        _per_instance("SlidingWindowRateLimitingMiddleware")
        self.max_requests = max_requests
        self.window_seconds = window_minutes * 60
        self.get_client_id = get_client_id
        self.limiters = collections.defaultdict(
            lambda: SlidingWindowRateLimiter(self.max_requests, self.window_seconds))

    async def on_request(self, context, call_next):
        if context.method and context.method.endswith("/list"):
            return await call_next(context)
        key = await _client_id(self.get_client_id, context)
        if not await self.limiters[key].is_allowed():
            raise RateLimitError(f"Rate limit exceeded: {self.max_requests} requests per "
                                 f"{self.window_seconds // 60} minutes for client: {key}")
        return await call_next(context)


class ResponseCachingMiddleware(Middleware):
    """Caches tool results, resource reads and prompt renders by their arguments, for a time to live.

    ``call_tool_settings={"ttl": 60, "included_tools": [...], "excluded_tools": [...], "enabled": True}`` and
    the same for ``read_resource_settings``/``get_prompt_settings``; listings need no cache in Berth.
    """

    def __init__(self, cache_storage=None, list_tools_settings=None, list_resources_settings=None,
                 list_prompts_settings=None, read_resource_settings=None, get_prompt_settings=None,
                 call_tool_settings=None, max_item_size=1024 * 1024):
        if cache_storage is not None:
            from berth_sdk.errors import DefinitionError

            raise DefinitionError(f"{caller()}: ResponseCachingMiddleware(cache_storage=...) is not supported in "
                                  "Berth: the cache lives in the instance's memory; remove cache_storage=")
        _per_instance("ResponseCachingMiddleware")
        self.settings = {"tools/call": call_tool_settings or {}, "resources/read": read_resource_settings or {},
                         "prompts/get": get_prompt_settings or {}}
        self.max_item_size = max_item_size
        self.entries = {}

    def _key(self, context):
        settings = self.settings.get(context.method)
        if settings is None or settings.get("enabled", True) is False:
            return None, None
        message = context.message
        if context.method == "tools/call":
            if settings.get("included_tools") is not None and message.name not in settings["included_tools"]:
                return None, None
            if message.name in (settings.get("excluded_tools") or ()):
                return None, None
        ident = message.uri if context.method == "resources/read" else message.name
        args = json.dumps(getattr(message, "arguments", None) or {}, sort_keys=True, default=str)
        return (context.method, ident, args), settings.get("ttl", 3600)

    async def on_message(self, context, call_next):
        key, ttl = self._key(context)
        if key is None:
            return await call_next(context)
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and 0 <= now - hit[0] < ttl:
            return hit[1]
        result = await call_next(context)
        if not getattr(result, "is_error", False):
            self.entries[key] = (now, result)
        return result


__all__ = ["DetailedTimingMiddleware", "ErrorHandlingMiddleware", "LoggingMiddleware", "RateLimitError",
           "RateLimitingMiddleware", "ResponseCachingMiddleware", "RetryMiddleware",
           "SlidingWindowRateLimitingMiddleware", "StructuredLoggingMiddleware", "TimingMiddleware"]
