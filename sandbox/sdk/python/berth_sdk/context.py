"""``Context``: what a tool, resource or prompt may ask of the platform during a call.

Method names and shapes follow fastmcp's Context (and ``ctx.sample``, which older fastmcp guides
teach). Each method calls the host installed in ``berth_sdk.runtime``.
"""

import base64
import dataclasses
import enum
import json
import sys
import typing

from berth_sdk import elicitation, runtime
from berth_sdk.content import as_block, dumps
from berth_sdk.schema import _Generator, finish, strip_annotated, to_json_state, to_jsonable

_noted = set()


class ResourceContent:
    """One item read from a resource: ``.content`` is text or bytes, with ``.mime_type`` and ``.uri``."""

    def __init__(self, uri, mime_type, content):
        self.uri = uri
        self.mime_type = mime_type
        self.content = content

    @property
    def text(self):
        return self.content if isinstance(self.content, str) else None

    @property
    def blob(self):
        return self.content if isinstance(self.content, bytes) else None

    def __repr__(self):
        return f"ResourceContent(uri={self.uri!r}, mime_type={self.mime_type!r}, content={self.content!r})"


class ResourceResult(list):
    """A list of ResourceContent that also offers ``.contents``, as fastmcp's ResourceResult does."""

    @property
    def contents(self):
        return list(self)


@dataclasses.dataclass
class AcceptedElicitation:
    data: typing.Any
    action: str = "accept"

    def __class_getitem__(cls, item):  # AcceptedElicitation[Info] in annotations
        return cls


@dataclasses.dataclass
class DeclinedElicitation:
    action: str = "decline"


@dataclasses.dataclass
class CancelledElicitation:
    action: str = "cancel"


ElicitationResult = typing.Union[AcceptedElicitation, DeclinedElicitation, CancelledElicitation]


@dataclasses.dataclass
class SamplingResult:
    """What the client's model answered: ``.text`` for text replies, ``.type`` of the content."""

    text: str | None
    type: str
    role: str = "assistant"
    model: str | None = None
    stop_reason: str | None = None
    content: typing.Any = None

    def __str__(self):
        return self.text or ""


@dataclasses.dataclass
class Root:
    """One of the client's roots (``roots/list``): a ``file://`` URI and an optional name."""

    uri: str
    name: str | None = None
    meta: dict | None = None


class RequestContext:
    """``ctx.request_context``: the request's id, the lifespan's value, and no session object."""

    def __init__(self, ctx):
        self._ctx = ctx

    @property
    def request_id(self):
        return runtime.current.request_id

    @property
    def lifespan_context(self):
        return self._ctx.lifespan_context

    @property
    def meta(self):
        return None

    @property
    def session(self):
        """A stand-in for the MCP session: sampling and roots through the host (``berth_sdk.session``)."""
        from berth_sdk.session import Session

        return Session(self._ctx)


_SESSION_VISIBILITY = ("Berth lists a project's components once, when it is built, so they cannot change per "
                      "session; show or hide them for everyone with mcp.enable(...)/mcp.disable(...) at module level")
_UNAVAILABLE = {
    "enable_components": _SESSION_VISIBILITY, "disable_components": _SESSION_VISIBILITY,
    "reset_visibility": _SESSION_VISIBILITY,
    "elicit_url": "URL-mode elicitation is not part of Berth's guest contract yet; ask with ctx.elicit(message, "
                  "response_type) or return the URL in the tool's result",
    "close_sse_stream": "Berth's edge owns the client's streams",
}


class Context:
    """Per-call access to logging, progress, state, elicitation, sampling and this server's resources."""

    def __init__(self, server=None):
        self.fastmcp = server

    def __class_getitem__(cls, item):  # Context[ServerSession, None] is Context
        return cls

    @property
    def lifespan_context(self):
        """What the server's lifespan yielded (``{}`` when it has none), as fastmcp and the MCP SDK give it."""
        result = getattr(self.fastmcp, "_lifespan_result", None)
        return {} if result is None else result

    @property
    def request_context(self):
        return RequestContext(self)

    @property
    def mcp(self):
        return self.fastmcp

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "session":
            return self.request_context.session
        why = _UNAVAILABLE.get(name)
        if why:
            raise AttributeError(f"ctx.{name} is not available in Berth: {why}")
        raise AttributeError(
            f"ctx.{name} is not available in Berth's SDK; the Context offers log/debug/info/warning/error, "
            "report_progress, get_state/set_state/delete_state, read_resource, list_resources, list_prompts, "
            "get_prompt, elicit, sample, list_roots and lifespan_context")

    @property
    def request_id(self):
        return runtime.current.request_id

    @property
    def session_id(self):
        return runtime.current.session_id

    @property
    def client_id(self):
        return None

    @property
    def transport(self):
        """How the client is connected: Berth serves every project over Streamable HTTP."""
        return "streamable-http"

    def is_background_task(self):
        return False

    async def send_notification(self, notification):
        """List-changed notifications mean nothing in Berth (listings are fixed at build time): said once in
        the project's log, not sent."""
        kind = type(notification).__name__
        if kind not in _noted:
            _noted.add(kind)
            print(f"berth: notice: ctx.send_notification({kind}) was not sent: Berth's listings are fixed when the "
                  "project is built, so clients are never told they changed", file=sys.stderr)

    # The server's own components, as listed and rendered for clients --------------------------

    async def list_resources(self):
        """This server's resources (``mcp.types.Resource``), as ``resources/list`` lists them."""
        from berth_sdk.mcp_types import Resource

        return [Resource(**r.listing()) for r in self.fastmcp._all_resources(False)]

    async def list_prompts(self):
        """This server's prompts (``mcp.types.Prompt``), as ``prompts/list`` lists them."""
        from berth_sdk.mcp_types import Prompt

        return [Prompt(**p.listing()) for p in self.fastmcp._all_prompts()]

    async def get_prompt(self, name, arguments=None):
        """Renders one of this server's prompts: a ``GetPromptResult`` with ``.messages`` and ``.description``."""
        from berth_sdk.components import prompt_messages
        from berth_sdk.content import block_model
        from berth_sdk.mcp_types import GetPromptResult, PromptMessage

        result = await self.fastmcp._get_prompt(name, arguments or {})
        messages = [PromptMessage(role=m["role"], content=block_model(m["content"])) for m in prompt_messages(result)]
        return GetPromptResult(description=getattr(result, "description", None), messages=messages)

    # Logging -------------------------------------------------------------------------------

    async def log(self, message, level=None, logger_name=None, extra=None):
        """A log message to the client: fastmcp 4.x sends ``{"msg": ..., "extra": ...}``, the official SDKs
        the message itself (with ``extra``, the same envelope)."""
        envelope = extra or getattr(self.fastmcp, "_log_envelope", True)
        data = {"msg": message, "extra": to_jsonable(extra) if extra else None} if envelope else message
        runtime.host.log(level or "info", logger_name, dumps(data))

    async def debug(self, message, logger_name=None, extra=None):
        await self.log(message, "debug", logger_name, extra)

    async def info(self, message, logger_name=None, extra=None):
        await self.log(message, "info", logger_name, extra)

    async def warning(self, message, logger_name=None, extra=None):
        await self.log(message, "warning", logger_name, extra)

    async def error(self, message, logger_name=None, extra=None):
        await self.log(message, "error", logger_name, extra)

    async def report_progress(self, progress, total=None, message=None):
        runtime.host.progress(float(progress), None if total is None else float(total), message)

    # State ---------------------------------------------------------------------------------

    async def set_state(self, key, value, *, serializable=True):
        """Stores ``value`` under ``key`` for this MCP session, as fastmcp does: every request of the session
        sees it, other sessions (other clients) do not, and it goes a day after the last write (or with the
        session). Kept by the host, so it outlives instances. A request outside any session (a 2026-07-28
        request without one) keeps it for that request only; so does ``serializable=False``, for values
        that are not JSON (a client object, a connection)."""
        call = runtime.current
        if not serializable:
            call.state[key] = value
            return
        try:
            data = to_json_state(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Value for state key {key!r} is not serializable. Use set_state({key!r}, value, "
                "serializable=False) to store non-serializable values. Note: non-serializable state is "
                "request-scoped and will not persist across requests.") from exc
        call.state.pop(key, None)
        if call.session_id is None:
            call.state[key] = data
            return
        runtime.host.session_set(key, json.dumps(data, separators=(",", ":")))

    async def get_state(self, key, default=None):
        """This session's value for ``key`` (a request-scoped one first), or ``default``."""
        call = runtime.current
        if key in call.state:
            return call.state[key]
        if call.session_id is None:
            return default
        text = runtime.host.session_get(key)
        return default if text is None else json.loads(text)

    async def delete_state(self, key):
        call = runtime.current
        call.state.pop(key, None)
        if call.session_id is not None:
            runtime.host.session_delete(key)

    # Resources -----------------------------------------------------------------------------

    async def read_resource(self, uri):
        """Reads one of this server's resources; returns a list of ResourceContent."""
        items = runtime.host.read_resource(str(uri))
        if items is None and self.fastmcp is not None:
            items = self.fastmcp._read_resource_sync(str(uri))
        return ResourceResult(
            ResourceContent(i["uri"], i.get("mimeType"), i["blob"] if "blob" in i else i.get("text", ""))
            for i in items or []
        )

    # Client requests -----------------------------------------------------------------------

    async def elicit(self, message, response_type=None, *, schema=None, response_title=None,
                     response_description=None):
        """Asks the user through the client; returns Accepted/Declined/CancelledElicitation. The schema and
        the reading of the answer follow fastmcp 4.x (``berth_sdk.elicitation``); the official SDKs' spellings
        keep their own (``elicitation_schema`` below), and their ``schema=Model`` form sends pydantic's schema
        of the model and validates the answer with it, as those SDKs do."""
        if schema is not None:
            requested = schema.model_json_schema() if hasattr(schema, "model_json_schema") else \
                elicitation_schema(schema)[0]
            action, content = runtime.host.elicit(message, dumps(requested))
            if action == "accept" and content is not None:
                return AcceptedElicitation(schema.model_validate(content) if hasattr(schema, "model_validate")
                                           else content)
            return DeclinedElicitation() if action == "decline" else CancelledElicitation()
        if getattr(self.fastmcp, "_elicit_needs_type", True):
            config = elicitation.parse(response_type, response_title, response_description)
            action, content = runtime.host.elicit(message, dumps(config.schema))
            if action == "accept":
                return AcceptedElicitation(elicitation.accepted_data(config, content or {}))
            return DeclinedElicitation() if action == "decline" else CancelledElicitation()
        schema, unwrap, build = elicitation_schema(response_type)
        action, content = runtime.host.elicit(message, dumps(schema))
        if action == "decline":
            return DeclinedElicitation()
        if action == "cancel":
            return CancelledElicitation()
        content = content or {}
        if unwrap:
            return AcceptedElicitation(build(content.get("value")))
        return AcceptedElicitation(build(content) if build else None)

    async def sample(self, messages, system_prompt=None, include_context=None, temperature=None,
                     max_tokens=None, model_preferences=None, stop_sequences=None, **unsupported):
        """Asks the client's model for a reply (MCP ``sampling/createMessage``)."""
        for key in unsupported:  # sent nowhere: said once in the project's log
            if key not in _noted:
                _noted.add(key)
                print(f"berth: notice: ctx.sample({key}=...) is not supported by Berth's SDK and was not sent",
                      file=sys.stderr)
        params = {"messages": _sampling_messages(messages), "maxTokens": max_tokens or 512}
        if system_prompt is not None:
            params["systemPrompt"] = system_prompt
        if include_context is not None:
            params["includeContext"] = include_context
        if temperature is not None:
            params["temperature"] = temperature
        if stop_sequences:
            params["stopSequences"] = list(stop_sequences)
        prefs = _model_preferences(model_preferences)
        if prefs is not None:
            params["modelPreferences"] = prefs
        reply = json.loads(runtime.host.sample(dumps(params)))
        content = reply.get("content") or {}
        if isinstance(content, list):
            content = next((c for c in content if c.get("type") == "text"), content[0] if content else {})
        return SamplingResult(
            text=content.get("text"), type=content.get("type", "text"), role=reply.get("role", "assistant"),
            model=reply.get("model"), stop_reason=reply.get("stopReason"), content=content,
        )

    async def list_roots(self):
        """The client's roots (MCP ``roots/list``), as a list of ``Root``."""
        reply = json.loads(runtime.host.list_roots())
        return [Root(r["uri"], r.get("name"), r.get("_meta")) for r in reply.get("roots") or []]


def _sampling_messages(messages):
    if isinstance(messages, str):
        messages = [messages]
    out = []
    for m in messages:
        if isinstance(m, str):
            out.append({"role": "user", "content": {"type": "text", "text": m}})
        elif isinstance(m, dict):
            out.append(m)
        else:
            role = getattr(m, "role", "user")
            block = as_block(getattr(m, "content", m))
            out.append({"role": getattr(role, "value", role), "content": _wire_block(block)})
    return out


def _wire_block(block):
    if block["type"] in ("image", "audio"):
        return {**block, "data": base64.b64encode(block["data"]).decode()}
    return block


def _model_preferences(prefs):
    if prefs is None:
        return None
    if isinstance(prefs, str):
        return {"hints": [{"name": prefs}]}
    if isinstance(prefs, (list, tuple)):
        return {"hints": [{"name": p} for p in prefs]}
    return to_jsonable(prefs if isinstance(prefs, dict) else vars(prefs))


_SCALARS = (str, int, float, bool)


def elicitation_schema(response_type):
    """``(schema, unwrap, build)`` for ``ctx.elicit``'s response_type, as fastmcp builds them.

    Scalars, Literals, Enums and lists of choices are wrapped in a ``value`` property; a dataclass,
    TypedDict or model gives its own flat properties; None asks for no data. A dict that is already a
    JSON Schema object (``{"type": "object", "properties": ...}``) is sent as given.
    """
    if response_type is None:
        return {"type": "object", "properties": {}}, False, None
    if isinstance(response_type, dict) and response_type.get("type") == "object" and "properties" in response_type:
        return response_type, False, lambda data: data
    if isinstance(response_type, dict):
        return _wrap(_titled(response_type)), True, lambda v: v
    if isinstance(response_type, list):
        if len(response_type) == 1 and isinstance(response_type[0], list):
            return _wrap({"items": {"enum": list(response_type[0])}, "type": "array"}), True, list
        if len(response_type) == 1 and isinstance(response_type[0], dict):
            return _wrap({"items": _titled(response_type[0], multi=True), "type": "array"}), True, list
        response_type = typing.Literal[tuple(response_type)]
    bare = strip_annotated(response_type)[0]
    gen = _Generator()
    if bare in _SCALARS or typing.get_origin(bare) is typing.Literal or (isinstance(bare, type) and issubclass(bare, enum.Enum)):
        schema = finish(gen.generate(response_type), gen.defs)
        build = bare if isinstance(bare, type) and issubclass(bare, enum.Enum) else (lambda v: v)
        return _wrap(schema), True, build
    schema = finish(gen.generate(response_type), gen.defs)
    schema.pop("description", None)
    return schema, False, _builder(bare)


def _wrap(value_schema):
    return {"type": "object", "properties": {"value": value_schema}, "required": ["value"]}


def _titled(choices, multi=False):
    options = [{"const": k, "title": (v or {}).get("title", k) if isinstance(v, dict) else str(v)} for k, v in choices.items()]
    return {"anyOf": options} if multi else {"oneOf": options, "type": "string"}


def _builder(tp):
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return lambda data: tp(**data)
    if hasattr(tp, "model_validate"):
        return tp.model_validate
    return lambda data: data


_active_server = None


def activate(server):
    """Marks ``server`` as the one serving the call in progress (for ``get_context()``)."""
    global _active_server
    _active_server = server


def get_context():
    """fastmcp's ``get_context()``: the Context of the call in progress."""
    if _active_server is None:
        raise RuntimeError("No active context found: get_context() works only during a tool, resource or "
                           "prompt call")
    return Context(_active_server)


def get_server():
    """fastmcp's ``get_server()``: the server serving the call in progress."""
    if _active_server is None:
        raise RuntimeError("No active server found: get_server() works only during a tool, resource or prompt call")
    return _active_server
