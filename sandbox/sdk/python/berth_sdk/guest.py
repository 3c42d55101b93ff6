"""The component's ``guest`` export: WIT calls in, the user's server out.

The builder generates ``berth_app.py`` containing ``Guest = load_entry("server", "mcp")``.
componentize-py runs that at build time (pre-initialization), so the user's module, this SDK and
everything they import are loaded then and bundled; errors raised here end up in the build log.
"""

import importlib
import json
import os
import sys
import traceback

import componentize_py_types
from wit_world.exports import guest as wit_guest
from wit_world.imports import host as wit_host
try:  # built for the networked world, Berth's types are named apart from wasi:http's
    from wit_world.imports import berth_mcp_types as wit_types
except ImportError:
    from wit_world.imports import types as wit_types

from berth_sdk import runtime
from berth_sdk.binding import ArgumentError
from berth_sdk.content import WRAP_META
from berth_sdk.errors import DefinitionError, McpError, NotFound, ReportedError
from berth_sdk.options import _in_sdk, notice
from berth_sdk.server import FastMCP
from berth_sdk import http_clients, import_env

# Before the user's module is imported: httpx, urllib and requests send through wasi:http.
http_clients.install()

_LEVELS = {name: getattr(wit_host.LogLevel, name.upper()) for name in
           ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")}
_ACTIONS = {wit_host.ElicitAction.ACCEPT: "accept", wit_host.ElicitAction.DECLINE: "decline",
            wit_host.ElicitAction.CANCEL: "cancel"}


class WitHost:
    """Host capabilities backed by the component's ``host`` imports."""

    def log(self, level, logger, data_json):
        wit_host.log(_LEVELS.get(str(level).lower(), wit_host.LogLevel.INFO), logger, data_json)

    def progress(self, progress, total, message):
        wit_host.progress(progress, total, message)

    def kv_get(self, key):
        return wit_host.kv_get(key)

    def kv_set(self, key, value):
        try:
            wit_host.kv_set(key, value)
        except componentize_py_types.Err as err:
            raise runtime.StateError(f"storing state failed: {err.value}") from None

    def kv_delete(self, key):
        wit_host.kv_delete(key)

    def session_get(self, key):
        return wit_host.session_get(key)

    def session_set(self, key, value):
        try:
            wit_host.session_set(key, value)
        except componentize_py_types.Err as err:
            raise runtime.StateError(f"storing session state failed: {err.value}") from None

    def session_delete(self, key):
        wit_host.session_delete(key)

    def elicit(self, message, schema_json):
        try:
            response = wit_host.elicit(message, schema_json)
        except componentize_py_types.Err as err:
            raise runtime.HostError(f"elicitation failed: {err.value}") from None
        content = json.loads(response.content_json) if response.content_json else None
        return _ACTIONS[response.action], content

    def sample(self, params_json):
        try:
            return wit_host.sample(params_json)
        except componentize_py_types.Err as err:
            raise runtime.HostError(f"sampling failed: {err.value}") from None

    def list_roots(self):
        try:
            return wit_host.list_roots()
        except componentize_py_types.Err as err:
            raise runtime.HostError(f"listing roots failed: {err.value}") from None

    def read_resource(self, uri):
        try:
            items = wit_host.read_resource(uri)
        except componentize_py_types.Err as err:
            raise runtime.HostError(f"reading resource '{uri}' failed: {_error_text(err.value)}") from None
        return [_contents_from_wit(i) for i in items]

    def environment(self):
        return wit_host.environment()


def _error_text(error):
    return getattr(error, "value", str(error))


# Conversions between the SDK's MCP-shaped dicts and the WIT records ---------------------------

def _contents_to_wit(c):
    if "blob" in c:
        body = wit_types.ResourceBody_Blob(bytes(c["blob"]))
    else:
        body = wit_types.ResourceBody_Text(str(c.get("text", "")))
    return wit_types.ResourceContents(str(c["uri"]), c.get("mimeType"), body)


def _contents_from_wit(c):
    out = {"uri": c.uri, "mimeType": c.mime_type}
    if isinstance(c.body, wit_types.ResourceBody_Blob):
        out["blob"] = bytes(c.body.value)
    else:
        out["text"] = c.body.value
    return out


def _block_to_wit(b):
    kind = b["type"]
    if kind == "text":
        return wit_types.ContentBlock_Text(b["text"])
    if kind == "image":
        return wit_types.ContentBlock_Image(wit_types.Media(bytes(b["data"]), b["mimeType"] or "image/png"))
    if kind == "audio":
        return wit_types.ContentBlock_Audio(wit_types.Media(bytes(b["data"]), b["mimeType"] or "audio/wav"))
    if kind == "resource":
        return wit_types.ContentBlock_Resource(_contents_to_wit(b["resource"]))
    return wit_types.ContentBlock_ResourceLink(
        wit_types.ResourceLink(str(b["uri"]), str(b["name"]), b.get("description"), b.get("mimeType")))


def _guest_error(exc):
    if isinstance(exc, NotFound):
        return componentize_py_types.Err(wit_types.GuestError_NotFound(str(exc.args[0] if exc.args else exc)))
    if isinstance(exc, ArgumentError):
        return componentize_py_types.Err(wit_types.GuestError_InvalidParams(str(exc)))
    if isinstance(exc, McpError):
        if exc.code == -32602:
            return componentize_py_types.Err(wit_types.GuestError_InvalidParams(str(exc)))
        if exc.code in (-32001, -32002):
            return componentize_py_types.Err(wit_types.GuestError_NotFound(str(exc)))
        return componentize_py_types.Err(wit_types.GuestError_Internal(str(exc)))
    if isinstance(exc, ReportedError):
        return componentize_py_types.Err(wit_types.GuestError_Internal(str(exc)))
    return componentize_py_types.Err(wit_types.GuestError_Internal(_describe_exception(exc)))


def _describe_exception(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


_env_baseline = None
_entry = None  # the user's module and server (import_env.Entry), once load_entry has run


def _begin(ctx):
    """Per call: who is asking, and the project's environment as it is now (the user's modules run
    again first when their top level read variables this environment changes)."""
    global _env_baseline
    runtime.current = runtime._Call(ctx.request_id, ctx.session_id)
    env = runtime.host.environment()
    if env is None:
        return
    if _env_baseline is None:
        _env_baseline = set()
        os.environ.clear()  # what pre-initialization saw was the build's environment
    fresh = dict(env)
    for key in _env_baseline - set(fresh):
        os.environ.pop(key, None)
    os.environ.update(fresh)
    _env_baseline = set(fresh)
    if _entry is not None:
        try:
            _entry.refresh(os.environ)
        except Exception as exc:
            raise componentize_py_types.Err(wit_types.GuestError_Internal(
                f"{_user_line(exc, _entry.module_name)}: running the module again with the project's "
                f"environment failed: {_describe_exception(exc)}")) from None


_WRAP_META_JSON = json.dumps(WRAP_META)  # every call of a tool with a wrapped result sends it: made once


def _set_result_meta(meta):
    """Hands the host the result's own ``_meta``, when it has one."""
    if not meta:
        return
    try:
        wit_host.result_meta(_WRAP_META_JSON if meta is WRAP_META else json.dumps(meta, ensure_ascii=False))
    except componentize_py_types.Err as err:
        raise ReportedError(f"the result's _meta was refused: {err.value}") from None


def make_guest(entry):
    """The class componentize-py instantiates for the ``guest`` export, serving ``entry.server``
    (which a run of the module with the project's environment may replace)."""

    class Guest:
        def describe(self):
            try:
                return json.dumps(entry.server.describe(), ensure_ascii=False)
            except Exception as exc:
                raise componentize_py_types.Err(f"describing the server failed: {_describe_exception(exc)}") from None

        def call_tool(self, ctx, name, arguments_json):
            _begin(ctx)
            try:
                arguments = json.loads(arguments_json) if arguments_json.strip() else {}
            except ValueError as exc:
                raise componentize_py_types.Err(wit_types.GuestError_InvalidParams(f"arguments are not JSON: {exc}")) from None
            try:
                blocks, structured, is_error, meta = entry.server.call_tool_result(
                    name, arguments if arguments is not None else {})
                content = [_block_to_wit(b) for b in blocks]
                structured_json = None if structured is None else json.dumps(structured, ensure_ascii=False)
                _set_result_meta(meta)
            except Exception as exc:
                raise _guest_error(exc) from None
            return wit_guest.ToolResult(content, structured_json, is_error)

        def read_resource(self, ctx, uri):
            _begin(ctx)
            try:
                return [_contents_to_wit(c) for c in entry.server.read_resource(uri)]
            except Exception as exc:
                raise _guest_error(exc) from None

        def get_prompt(self, ctx, name, arguments):
            _begin(ctx)
            try:
                description, messages, meta = entry.server.get_prompt_result(name, dict(arguments))
                _set_result_meta(meta)
                wit_messages = [
                    wit_guest.PromptMessage(
                        wit_guest.Role.ASSISTANT if m["role"] == "assistant" else wit_guest.Role.USER,
                        _block_to_wit(m["content"]))
                    for m in messages
                ]
            except Exception as exc:
                raise _guest_error(exc) from None
            return wit_guest.PromptResult(description, wit_messages)

        def complete(self, ctx, target, argument, value, context_arguments):
            _begin(ctx)
            kind = "prompt" if isinstance(target, wit_guest.CompletionRef_Prompt) else "resource-template"
            try:
                values, total, has_more = entry.server.complete(kind, target.value, argument, value, list(context_arguments))
            except Exception as exc:
                raise _guest_error(exc) from None
            return wit_guest.Completion(values, total, has_more)

    Guest.entry = entry
    return Guest


def _redirect_output():
    """Keeps print() from ever breaking a call: output to a closed or missing stream is dropped."""

    class _SafeStream:
        def __init__(self, stream):
            self._stream = stream

        def write(self, text):
            try:
                return self._stream.write(text) if self._stream else len(text)
            except Exception:  # a broken stdout must not fail the tool
                return len(text)

        def flush(self):
            try:
                if self._stream:
                    self._stream.flush()
            except Exception:  # same as above
                pass

        def __getattr__(self, name):
            return getattr(self._stream, name)

    sys.stdout = _SafeStream(sys.stdout)
    sys.stderr = _SafeStream(sys.stderr)


def _user_line(exc, module_name):
    """``server.py:3``: the deepest line of the user's project in the traceback (else the module's file)."""
    found = f"{module_name.replace('.', '/')}.py"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<") and not _in_sdk(filename) and "importlib" not in filename:
            found = f"{os.path.basename(filename)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _no_server(module, module_name, attribute):
    """Names the entry point's attribute, the names tried, and what the module does define."""
    path = os.path.basename(getattr(module, "__file__", None) or f"{module_name}.py")
    tried = [attribute] + [n for n in ("mcp", "server", "app") if n != attribute]
    candidates = [k for k, v in vars(module).items() if isinstance(v, FastMCP)]
    if candidates:  # FastMCP objects under other names
        return (f"{path}: no server object named '{attribute}'; the module defines {', '.join(candidates)}: rename "
                f"it to {attribute} (`{attribute} = {candidates[0]}`) or set the entry point to "
                f"{module_name}:{candidates[0]}")
    return (f"{path}: no module-level FastMCP server found (looked for {', '.join(tried)}); create one at module "
            f"level with `{attribute} = FastMCP(\"name\")` (not inside a function or `if __name__ == "
            f"'__main__':`)")


def load_entry(module_name, attribute):
    """Imports the user's module, finds the server object and returns the ``Guest`` class for it."""
    global _entry
    entry = import_env.Entry(module_name, attribute,
                             lambda module, at_build: _find_server(module, module_name, attribute, at_build))
    try:
        entry.load(at_build=True)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise DefinitionError(
                f"entry point '{module_name}:{attribute}': no module '{module_name}' "
                f"(expected {module_name.replace('.', '/')}.py in the project root); check the entry point "
                "setting or the file name") from None
        if str(exc).startswith("Berth does not provide"):
            raise DefinitionError(f"{_user_line(exc, module_name)}: {exc}") from None
        raise DefinitionError(
            f"{_user_line(exc, module_name)}: importing it failed: no module named '{exc.name}'. Add it to "
            "requirements.txt (pure-Python packages only) or remove the import") from exc
    except ImportError as exc:
        if str(exc).startswith("Berth does not provide"):
            raise DefinitionError(f"{_user_line(exc, module_name)}: {exc}") from None
        raise
    except DefinitionError:
        raise
    except Exception as exc:
        hint = import_env.hint(entry.recorder)
        if not hint:
            raise
        raise DefinitionError(
            f"{_user_line(exc, module_name)}: importing it failed: {_describe_exception(exc)}{hint}") from None
    server = entry.server
    import_env.import_vendored_ahead()  # the component holds only what is imported now
    json.dumps(server.describe())  # fail the build now if listing would fail later
    runtime.host = WitHost()
    _redirect_output()
    _entry = entry
    return make_guest(entry)


def _find_server(module, module_name, attribute, at_build=True):
    """The entry point's server in ``module`` (else one called mcp, server or app, as `fastmcp run`)."""
    if not hasattr(module, attribute):
        # As `fastmcp run` does: without the named object, a server called mcp, server or app.
        fallback = next((n for n in ("mcp", "server", "app") if isinstance(getattr(module, n, None), FastMCP)), None)
        if fallback is None:
            raise DefinitionError(_no_server(module, module_name, attribute))
        if at_build:
            notice(f"{module_name}.py: no '{attribute}'; serving the FastMCP server '{fallback}'")
        attribute = fallback
    server = getattr(module, attribute)
    if callable(server) and not isinstance(server, FastMCP):
        server = server()
    if not isinstance(server, FastMCP):
        raise DefinitionError(
            f"{module_name}.py: '{attribute}' is a {type(server).__name__}, not a FastMCP server; "
            f"set the entry point to the FastMCP object (e.g. `{attribute} = FastMCP(\"name\")`)")
    return server
