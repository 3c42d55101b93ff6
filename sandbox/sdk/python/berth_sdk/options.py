"""What Berth does with each argument of ``FastMCP(...)`` and the decorators: nothing is silently ignored.

Every keyword is supported, or a ``DefinitionError`` naming ``file.py:line``, the argument and what to
do instead, or (where ignoring it is harmless when the platform serves the project, as it is for
transport settings) one notice line on stderr, which at build time is the build log.
"""

import os
import sys

from berth_sdk.errors import DefinitionError

_SDK_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SDK_PACKAGES = tuple(os.path.join(_SDK_ROOT, p) + os.sep for p in ("berth_sdk", "fastmcp", "mcp"))


def _in_sdk(filename):
    return os.path.abspath(filename).startswith(_SDK_PACKAGES) or filename.startswith("<frozen")


def caller():
    """``server.py:12``: the first frame outside the SDK, i.e. the user's line that called it."""
    frame = sys._getframe(1)
    while frame is not None and _in_sdk(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


# Notices so far, for ``describe`` to hand to the builder: componentize-py does not show what the module
# prints during pre-initialization when the build succeeds, so the builder logs these instead.
NOTICES = []
MAX_NOTICES = 100


def notice(message):
    """One line in the build log (through ``describe``, and on stderr: the project's log at run time)."""
    if len(NOTICES) < MAX_NOTICES and message not in NOTICES:
        NOTICES.append(message)
    print(f"berth: notice: {message}", file=sys.stderr, flush=True)


_SERVED = "Berth serves the project at /<project>/mcp over Streamable HTTP and picks the transport itself"
_AUTH = ("Berth authenticates clients itself (project access tokens and sign-in); remove it and set who may "
         "call the project in its settings")
_DEPS = "Berth installs what requirements.txt or pyproject.toml lists"

# What FastMCP(...) (all three spellings) does with each keyword: supported ones are read by FastMCP.__init__.
SERVER_SUPPORTED = (
    "name", "instructions", "version", "title", "description", "website_url", "icons", "lifespan",
    "mask_error_details", "on_duplicate", "on_duplicate_tools", "on_duplicate_resources", "on_duplicate_prompts",
    "middleware", "include_tags", "exclude_tags", "tools", "tasks", "transforms",
    "strict_input_validation", "dereference_schemas",
)
TOOL_SUPPORTED = ("name_or_fn", "name", "title", "description", "tags", "annotations", "output_schema", "meta",
                  "icons", "version", "timeout", "enabled", "exclude_args", "structured_output", "app", "task")
RESOURCE_SUPPORTED = ("uri", "name", "title", "description", "mime_type", "tags", "annotations", "meta", "icons",
                      "version", "enabled", "app")
PROMPT_SUPPORTED = ("name_or_fn", "name", "title", "description", "tags", "meta", "icons", "version", "enabled")
SERVER_NOTICES = {
    "host": _SERVED, "port": _SERVED, "sse_path": _SERVED, "message_path": _SERVED,
    "streamable_http_path": _SERVED, "mount_path": _SERVED, "json_response": _SERVED,
    "stateless_http": _SERVED, "transport_security": "Berth checks Host and Origin headers itself",
    "event_store": "Berth keeps each session's events for resumption itself",
    "retry_interval": _SERVED,
    "debug": "Berth's build and project logs show what the server prints",
    "log_level": "clients choose their log level with logging/setLevel",
    "client_log_level": "clients choose their log level with logging/setLevel",
    "warn_on_duplicate_tools": "Berth reports duplicates per on_duplicate", "warn_on_duplicate_resources":
    "Berth reports duplicates per on_duplicate", "warn_on_duplicate_prompts": "Berth reports duplicates per on_duplicate",
    "dependencies": _DEPS,
    "list_page_size": "Berth lists every component in one page",
    "cache_ttl": "Berth computes listings once, at build time", "cache_scope": "Berth computes listings once, at build time",
    "resource_security": "templated resources read no files in Berth, so there are no paths to screen",
    "session_state_store": "Berth keeps each session's ctx.set_state values in the project's key-value state",
}

SERVER_ERRORS = {
    "auth": _AUTH, "auth_server_provider": _AUTH, "token_verifier": _AUTH,
    "providers": "add tools, resources and prompts with the decorators, or mount another FastMCP server with "
                 "mcp.mount(server, namespace=...) (an OpenAPIProvider is supported: "
                 "fastmcp.server.providers.openapi)",
    "tool_transformations": "fastmcp 4 removed it: use server.add_transform(ToolTransform({...})) "
                            "(from fastmcp.server.transforms import ToolTransform)",
    "sampling_handler": "call a model's API from the tool instead (name its host under [network] allow in berth.toml)",
    "sampling_handler_behavior": "call a model's API from the tool instead",
    "tool_serializer": "return a ToolResult (fastmcp.tools.ToolResult) from the tool to control its content",
    "experimental_capabilities": "Berth advertises the capabilities it serves; remove it",
    "extensions": "protocol extensions are not supported by Berth's SDK; remove extensions=",
    "subscriptions": "Berth handles resource subscriptions itself; remove subscriptions=",
    "cache_hints": "Berth computes listings once, at build time; remove cache_hints=",
    "request_state_security": "Berth keeps multi-round-trip request state itself; remove it",
    "resources": "register resources with @mcp.resource(uri)",
}

# Decorator keywords: the supported ones are parameters of the decorator; these are the others.
COMPONENT_NOTICES = {
    "run_in_thread": "Berth runs a synchronous function on the call's own thread",
    "security": "templated resources read no files in Berth, so there are no paths to screen",
}

COMPONENT_ERRORS = {
    "auth": "per-component authorization is not supported by Berth's SDK; check the caller inside the function "
            "or remove auth=",
    "serializer": "return a ToolResult (fastmcp.tools.ToolResult) from the tool to control its content",
}


def check(api, options, at, notices, errors):
    """Reports each keyword in ``options``: a notice line for harmless ones, else a ``DefinitionError``."""
    for key, value in options.items():
        if key in notices:
            notice(f"{at}: {api}'s {key}={value!r} is ignored: {notices[key]}")
            continue
        fix = errors.get(key)
        if fix is None:
            fix = f"remove it, or check its spelling against {api}'s documented arguments"
            raise DefinitionError(f"{at}: {api} has no argument '{key}'; {fix}")
        raise DefinitionError(f"{at}: {api}'s argument '{key}' is not supported in Berth: {fix}")
