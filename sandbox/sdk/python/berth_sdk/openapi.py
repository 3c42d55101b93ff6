"""``FastMCP.from_openapi``: an OpenAPI 3.0/3.1 document made into tools, resources and templates that call
the API, as fastmcp 4.x's ``OpenAPIProvider`` makes them.

Every operation is a tool unless a ``RouteMap`` (first match by methods, path pattern and tags) or
``route_map_fn`` says otherwise. A tool is named by its operationId (before any ``__``), else its summary,
else ``METHOD_/path``, slugified and cut at 56 characters, ``_2``, ``_3`` after a clash; its description is
the operation's description, else its summary, else ``Executes METHOD /path``. Schemas come from
``berth_sdk.openapi_schema``; calls go through ``berth_sdk.openapi_request`` with the user's httpx client
(outbound HTTP from the guest goes through Berth's host, to the hosts ``berth.toml`` allows).

Arguments are not validated locally (fastmcp does not either): the API is the validator, and its 4xx is
the tool's error. httpx is imported only when no client is given (a default one from ``servers[0]``).
"""

import enum
import json
import re

from berth_sdk import options as opts
from berth_sdk.components import Resource, Tool, _annotations, _meta, template_regex
from berth_sdk.content import WRAP_META, ToolResult
from berth_sdk.errors import DefinitionError
from berth_sdk.mcp_types import ToolAnnotations
from berth_sdk.openapi_jsonschema import dereference
from berth_sdk.openapi_request import (
    RequestBuildError,
    build,
    missing_arguments_error,
    missing_path_arguments,
    raise_for_status,
    send,
)
from berth_sdk.openapi_schema import (
    HTTPRoute,
    ParameterInfo,
    RequestBodyInfo,
    ResponseInfo,
    SpecError,
    output_schema,
    parse,
    success_response,
)

DEFAULT_TIMEOUT = 30.0
_JSON_TYPES = ("application/json", "application/vnd.api+json", "application/hal+json", "application/ld+json",
               "text/json")


class MCPType(enum.Enum):
    """What a route becomes: a tool, a resource, a resource template, or nothing."""

    TOOL = "TOOL"
    RESOURCE = "RESOURCE"
    RESOURCE_TEMPLATE = "RESOURCE_TEMPLATE"
    EXCLUDE = "EXCLUDE"


class RouteMap:
    """Routes matching ``methods`` (a list or ``"*"``), ``pattern`` (searched in the path) and all of ``tags``
    become ``mcp_type``, with ``mcp_tags`` added to their tags."""

    def __init__(self, *, mcp_type, methods="*", pattern=r".*", tags=None, mcp_tags=None):
        if not isinstance(mcp_type, MCPType):
            raise DefinitionError(f"{opts.caller()}: RouteMap(mcp_type=...) takes MCPType.TOOL, RESOURCE, "
                                  f"RESOURCE_TEMPLATE or EXCLUDE, not {mcp_type!r}")
        self.mcp_type, self.methods, self.pattern = mcp_type, methods, pattern
        self.tags, self.mcp_tags = set(tags or ()), set(mcp_tags or ())

    def matches(self, route):
        if self.methods != "*" and route.method not in self.methods:
            return False
        found = self.pattern.search(route.path) if isinstance(self.pattern, re.Pattern) else \
            re.search(self.pattern, route.path)
        return bool(found) and self.tags <= set(route.tags or [])

    def __repr__(self):
        return f"RouteMap(methods={self.methods!r}, pattern={self.pattern!r}, mcp_type={self.mcp_type})"


DEFAULT_ROUTE_MAPPINGS = [RouteMap(mcp_type=MCPType.TOOL)]


def _slugify(text):
    slug = re.sub(r"[\s\-\.]+", "_", text or "")
    slug = re.sub(r"[^a-zA-Z0-9_]", "", slug)
    return re.sub(r"_+", "_", slug).strip("_")


def _mime_type(route):
    """The first success response's media type (JSON preferred among several), else application/json."""
    if not route.responses:
        return "application/json"
    info = success_response(route.responses)
    if info is None or not info.content_schema:
        return "application/json"
    types = list(info.content_schema)
    if len(types) == 1:
        return types[0]
    return next((t for t in _JSON_TYPES if t in info.content_schema), types[0])


class OpenAPITool(Tool):
    """A tool that calls one operation: its arguments are sent as the API expects them."""

    takes_raw_arguments = True  # the server hands it the arguments as they came (no pydantic binding)

    def __init__(self, client, route, name, description, parameters, output_schema=None, tags=None,
                 annotations=None, timeout=None):
        self._client, self._route, self._request_timeout = client, route, timeout
        self.fn = self.run_openapi
        self.name, self.description = name, description
        self.input_schema, self.output_schema = parameters, output_schema
        self.annotations = annotations
        self._title, self.tags, self.meta, self.icons, self.version = None, set(tags or ()), None, None, None
        self.timeout, self.task_mode = None, None
        self.params, self.context_params, self.hidden = [], [], {}

    @property
    def annotations(self):
        return self._annotations

    @annotations.setter
    def annotations(self, value):
        self._annotations = _annotations(value, ToolAnnotations)

    def listing(self, name=None):
        item = super().listing(name)
        item["inputSchema"] = dereference(self.input_schema)
        if self.output_schema is not None:
            item["outputSchema"] = dereference(self.output_schema)
        item["_meta"] = _meta(self.meta, sorted(self.tags), self.version)
        return item

    def __repr__(self):
        return f"OpenAPITool(name={self.name!r}, method={self._route.method}, path={self._route.path})"

    async def run_openapi(self, arguments):
        route = self._route
        missing = missing_path_arguments(route, arguments)
        if missing:
            raise missing_arguments_error(missing)
        try:
            request = build(self._client, route, arguments, self._request_timeout)
        except Exception as exc:
            raise ValueError(f"Error building request for {route.method.upper()} {route.path}: "
                             f"{type(exc).__name__}: {exc}") from exc
        response = await send(self._client, request)
        raise_for_status(response)
        try:
            result = response.json()
        except ValueError:
            return ToolResult(content=response.text)
        wrap = False
        if self.output_schema is not None:
            structured = {"result": result} if self.output_schema.get("x-fastmcp-wrap-result") else result
        elif not isinstance(result, dict):
            structured, wrap = {"result": result}, True
        else:
            structured = result
        if not isinstance(structured, dict):
            structured = {"result": structured}
        return ToolResult(structured_content=structured, meta=WRAP_META if wrap else None)


async def _read(client, route, arguments, uri, mime_type, timeout):
    """A resource read: the operation's answer as JSON text, text or bytes."""
    request = build(client, route, arguments, timeout)
    response = await send(client, request)
    raise_for_status(response)
    content_type = response.headers.get("content-type", "").lower()
    media = content_type.split(";")[0].strip()
    if media == "application/json" or media.endswith("+json"):
        return [{"uri": uri, "mimeType": media, "text": json.dumps(response.json())}]
    if "text/" in content_type or "application/xml" in content_type:
        return [{"uri": uri, "mimeType": mime_type, "text": response.text}]
    return [{"uri": uri, "mimeType": mime_type, "blob": response.content}]


class OpenAPIResource(Resource):
    """A resource (``resource://name``) read by calling a GET operation without arguments."""

    def __init__(self, client, route, uri, name, description, mime_type="application/json", tags=None,
                 arguments=None, timeout=None):
        self._client, self._route, self._arguments, self._request_timeout = client, route, dict(arguments or {}), timeout
        self.fn, self.uri, self.name, self.title, self.description = None, uri, name, None, description
        self.mime_type, self.tags = mime_type, set(tags or ())
        self.annotations, self.meta, self.icons, self.version = None, None, None, None
        self.params, self.context_params, self.uri_params, self.query_params = [], [], [], []
        self.is_template = False

    def listing(self, uri=None, name=None):
        item = super().listing(uri, name)
        item["_meta"] = _meta(self.meta, sorted(self.tags), self.version)
        return item

    async def read(self, uri, args, context, json_indent=None):
        return await _read(self._client, self._route, self._arguments, uri, self.mime_type, self._request_timeout)


class OpenAPIResourceTemplate(OpenAPIResource):
    """A template (``resource://name/{id}``, path parameters in sorted order) read by calling its operation."""

    def __init__(self, client, route, uri_template, name, description, parameters, tags=None,
                 mime_type="application/json", timeout=None):
        super().__init__(client, route, uri_template, name, description, mime_type, tags, timeout=timeout)
        self.parameters = parameters
        self.uri_params = re.findall(r"{(\w+)}", uri_template)
        self.is_template = True
        self.regex = template_regex(uri_template)

    @property
    def uri_template(self):
        return self.uri

    async def read(self, uri, args, context, json_indent=None):
        arguments = {}
        for param in self._route.parameters:
            if param.location != "path":
                continue
            name = next((a for a, where in self._route.parameter_map.items()
                         if where["location"] == "path" and where["openapi_name"] == param.name), param.name)
            key = param.name if param.name in args else re.sub(r"\W", "_", param.name)
            if key in args:
                arguments[name] = args[key]
        return await _read(self._client, self._route, arguments, uri, self.mime_type, self._request_timeout)


class OpenAPIProvider:
    """The components of an OpenAPI document; ``FastMCP.from_openapi`` adds them to a new server."""

    def __init__(self, openapi_spec, client=None, *, route_maps=None, route_map_fn=None, mcp_component_fn=None,
                 mcp_names=None, tags=None, validate_output=True, timeout=None, _at=None):
        at = _at or opts.caller()
        try:
            routes = parse(openapi_spec)
        except SpecError as exc:
            raise DefinitionError(f"{at}: FastMCP.from_openapi: {exc}") from None
        self._client = client if client is not None else _default_client(openapi_spec, at)
        if not callable(getattr(self._client, "build_request", None)) or \
                not callable(getattr(self._client, "send", None)):
            raise DefinitionError(f"{at}: FastMCP.from_openapi: client= must be an httpx.AsyncClient (add httpx to "
                                  f"requirements.txt), not {type(self._client).__name__}")
        self._timeout = timeout
        for index, route_map in enumerate(route_maps or []):
            if not isinstance(route_map, RouteMap):
                raise DefinitionError(f"{at}: FastMCP.from_openapi: route_maps[{index}] is "
                                      f"{type(route_map).__name__}; use RouteMap(...) from fastmcp.server.openapi")
        maps = list(route_maps or []) + DEFAULT_ROUTE_MAPPINGS
        self.tools, self.resources, self.templates = {}, {}, {}
        self._used = {"tool": {}, "resource": {}, "template": {}}
        for route in routes:
            route_map = next((m for m in maps if m.matches(route)), DEFAULT_ROUTE_MAPPINGS[0])
            kind = route_map.mcp_type
            if route_map_fn is not None:
                try:
                    chosen = route_map_fn(route, kind)
                    if chosen is not None:
                        kind = chosen
                except Exception as exc:  # fastmcp logs it and keeps the route map's choice
                    opts.notice(f"{at}: route_map_fn failed for {route.method} {route.path} ({exc}); the route "
                                f"is a {kind.name} as the route maps say")
            name = _name(route, mcp_names)
            route_tags = set(route.tags) | route_map.mcp_tags | set(tags or ())
            if kind == MCPType.TOOL:
                component = self._tool(route, name, route_tags, validate_output)
            elif kind == MCPType.RESOURCE:
                component = self._resource(route, name, route_tags)
            elif kind == MCPType.RESOURCE_TEMPLATE:
                component = self._template(route, name, route_tags)
            elif kind == MCPType.EXCLUDE:
                continue
            else:
                raise DefinitionError(f"{at}: route_map_fn returned {kind!r} for {route.method} {route.path}; "
                                      "return an MCPType (or None to keep the route map's choice)")
            if mcp_component_fn is not None:
                try:
                    mcp_component_fn(route, component)
                except Exception as exc:  # fastmcp logs it and keeps the component as it was made
                    opts.notice(f"{at}: mcp_component_fn failed for {component.name} ({exc}); the component is "
                                "kept as it was made")

    def _unique(self, name, kind):
        used = self._used[kind]
        used[name] = used.get(name, 0) + 1
        if used[name] == 1:
            return name
        new = f"{name}_{used[name]}"
        while new in used:
            used[name] += 1
            new = f"{name}_{used[name]}"
        used[new] = used.get(new, 0) + 1
        return new

    def _tool(self, route, name, tags, validate_output):
        schema = output_schema(route)
        if not validate_output and schema is not None:
            permissive = {"type": "object", "additionalProperties": True}
            if schema.get("x-fastmcp-wrap-result"):
                permissive["x-fastmcp-wrap-result"] = True
                permissive["properties"] = {"result": {}}
            schema = permissive
        tool = OpenAPITool(self._client, route, self._unique(name, "tool"),
                           route.description or route.summary or f"Executes {route.method} {route.path}",
                           route.flat_param_schema, schema, set(route.tags) | tags, timeout=self._timeout)
        self.tools[tool.name] = tool
        return tool

    def _resource(self, route, name, tags):
        name = self._unique(name, "resource")
        resource = OpenAPIResource(self._client, route, f"resource://{name}", name,
                                   route.description or route.summary or f"Represents {route.path}",
                                   _mime_type(route), set(route.tags) | tags, timeout=self._timeout)
        self.resources[resource.uri] = resource
        return resource

    def _template(self, route, name, tags):
        name = self._unique(name, "template")
        path_params = sorted(p.name for p in route.parameters if p.location == "path")
        uri = f"resource://{name}" + ("/" + "/".join(f"{{{p}}}" for p in path_params) if path_params else "")
        parameters = {
            "type": "object",
            "properties": {p.name: {**p.schema_, **({"description": p.description}
                                                    if p.description and "description" not in p.schema_ else {})}
                           for p in route.parameters if p.location == "path"},
            "required": [p.name for p in route.parameters if p.location == "path" and p.required],
        }
        template = OpenAPIResourceTemplate(self._client, route, uri, name,
                                           route.description or route.summary or f"Template for {route.path}",
                                           parameters, set(route.tags) | tags, _mime_type(route),
                                           timeout=self._timeout)
        self.templates[template.uri] = template
        return template

    def add_to(self, server):
        for tool in self.tools.values():
            server._tools[tool.name] = tool
        for resource in self.resources.values():
            server._resources[resource.uri] = resource
        for template in self.templates.values():
            server._templates[template.uri] = template


def _name(route, mcp_names):
    if route.operation_id:
        name = (mcp_names or {}).get(route.operation_id) or route.operation_id.split("__")[0]
    else:
        name = route.summary or f"{route.method}_{route.path}"
    name = _slugify(name) or _slugify(f"{route.method}_{route.path}")
    return name[:56]


def _default_client(spec, at):
    servers = spec.get("servers") or []
    if not servers or not servers[0].get("url"):
        raise DefinitionError(f"{at}: FastMCP.from_openapi: no server URL found in the OpenAPI spec; add a 'servers' "
                              "entry to the spec or pass client=httpx.AsyncClient(base_url=...)")
    url = servers[0]["url"]
    for name, var in (servers[0].get("variables") or {}).items():
        url = url.replace(f"{{{name}}}", str(var.get("default", "")))
    try:
        import httpx
    except ImportError:
        raise DefinitionError(f"{at}: FastMCP.from_openapi calls the API with httpx: add httpx to requirements.txt "
                              "(or pass client=httpx.AsyncClient(base_url=...))") from None
    return httpx.AsyncClient(base_url=url, timeout=DEFAULT_TIMEOUT)


def from_openapi(cls, openapi_spec, client=None, name="OpenAPI Server", route_maps=None, route_map_fn=None,
                 mcp_component_fn=None, mcp_names=None, tags=None, validate_output=True, timeout=None, **settings):
    """``FastMCP.from_openapi``: a server whose components call the API the document describes."""
    at = opts.caller()
    provider = OpenAPIProvider(openapi_spec, client, route_maps=route_maps, route_map_fn=route_map_fn,
                               mcp_component_fn=mcp_component_fn, mcp_names=mcp_names, tags=tags,
                               validate_output=validate_output, timeout=timeout, _at=at)
    server = cls(name=name or "OpenAPI Server", **settings)
    provider.add_to(server)
    return server


def from_fastapi(cls, app=None, *args, **kwargs):
    raise DefinitionError(
        f"{opts.caller()}: FastMCP.from_fastapi needs the FastAPI app running in the same process (an in-process "
        "ASGI transport), which Berth's WebAssembly sandbox cannot run. Deploy the FastAPI app on its own, then "
        "use FastMCP.from_openapi(openapi_spec=..., client=httpx.AsyncClient(base_url=\"https://your-api\")) with "
        "its OpenAPI document (app.openapi() saved as openapi.json in the project) and allow its host in "
        "berth.toml's [network] allow")


__all__ = ["DEFAULT_ROUTE_MAPPINGS", "HTTPRoute", "MCPType", "OpenAPIProvider", "OpenAPIResource",
           "OpenAPIResourceTemplate", "OpenAPITool", "ParameterInfo", "RequestBodyInfo", "ResponseInfo", "RouteMap",
           "RequestBuildError"]
