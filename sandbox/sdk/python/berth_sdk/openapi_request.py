"""A tool call's arguments sent to the API as fastmcp 4.x sends them, and the answer read back.

The flat arguments go back to their places through the route's parameter map: path parameters in the
"simple" style, each item percent-encoded on its own (``.`` too, and dot segments refused); query
parameters by their style and explode (``form`` repeats the key, ``explode: false`` joins with ``,``, ``|``
or a space, ``deepObject`` writes ``name[key]``); headers and cookies as strings; the body as JSON, a form,
multipart or raw content by its declared media type. The request is built and sent by the user's own
client (``client.build_request`` then ``client.send``), so its base URL, default headers, auth and
timeouts apply, and inside the guest it goes through Berth's host like any httpx request.

An answer outside 2xx is an error naming the status and the body (JSON re-serialized, HTML left out, at
most 1000 characters); a JSON answer is the structured content, anything else text.
"""

import json
import re
import urllib.parse

from berth_sdk.errors import ToolError
from berth_sdk.openapi_schema import pointer, ref_is_mergeable

_PATH_PARAM = re.compile(r"\{([^{}]+)\}")
_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
_ERROR_BODY_LIMIT = 1000


class RequestBuildError(ValueError):
    """The arguments cannot make a request (a path parameter without a value, a dot segment)."""


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_value(value):
    """What httpx writes for a query value: JSON-ish booleans, nothing for None."""
    if value is None:
        return ""
    return _scalar(value)


def _media(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def _is_json(content_type):
    media = _media(content_type)
    return media == "application/json" or media.endswith("+json")


def missing_path_arguments(route, arguments):
    """The arguments for path parameters of the template that have no value (None counts as none)."""
    template = set(_PATH_PARAM.findall(route.path))
    aliases = {}
    for name, where in route.parameter_map.items():
        if where["location"] == "path":
            aliases.setdefault(where["openapi_name"], []).append(name)
    missing = []
    for param in route.parameters:
        if param.location != "path" or param.name not in template:
            continue
        names = aliases.get(param.name)
        if names and all(arguments.get(n) is None for n in names):
            missing.append(names[0])
    return missing


def _accepts_null(schema, definitions, seen=()):
    """Whether JSON null is valid for ``schema`` (for a body property sent as null)."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
        target = pointer(definitions or {}, ref[len("#/$defs/"):])
        if not _accepts_null(target if target is not None else {}, definitions, (*seen, ref)):
            return False
    t = schema.get("type")
    if t is not None and not (t == "null" or (isinstance(t, list) and "null" in t)):
        return False
    if "enum" in schema and None not in schema["enum"]:
        return False
    if "const" in schema and schema["const"] is not None:
        return False
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and not any(_accepts_null(s, definitions, seen) for s in schema[key]):
            return False
    if isinstance(schema.get("allOf"), list) and not all(_accepts_null(s, definitions, seen) for s in schema["allOf"]):
        return False
    return True


def _unflatten(route, arguments):
    places = {loc: {} for loc in ("path", "query", "header", "cookie", "body")}
    schema = route.flat_param_schema
    for name, value in arguments.items():
        where = route.parameter_map.get(name)
        if where is None:
            continue  # fastmcp drops arguments outside the map
        location = where["location"]
        if value is None:
            if location != "body" or not route.request_body or not _is_json(
                    next(iter(route.request_body.content_schema), "")):
                continue
            if not _accepts_null(schema.get("properties", {}).get(name, False), schema.get("$defs")):
                continue
        if location in places:
            places[location][where["openapi_name"]] = value
    props = places["body"]
    body = None
    request_body = route.request_body
    if props:
        if request_body and request_body.content_schema:
            body_schema = request_body.content_schema[next(iter(request_body.content_schema))]
            if isinstance(body_schema, dict) and body_schema.get("properties") and \
                    ref_is_mergeable(body_schema, route.request_schemas):
                body = props
            elif len(props) == 1:
                body = next(iter(props.values()))
            else:
                body = props
        else:
            body = props
    elif request_body and request_body.required and request_body.content_schema:
        content_type = next(iter(request_body.content_schema))
        body_schema = request_body.content_schema[content_type]
        if _is_json(content_type) and isinstance(body_schema, dict) and body_schema.get("properties") and \
                ref_is_mergeable(body_schema, route.request_schemas):
            body = {}
    return places["path"], places["query"], places["header"], places["cookie"], body


def _query(route, values):
    """``[(name, text)]`` for the query string, by each parameter's style and explode."""
    params = {p.name: p for p in route.parameters if p.location == "query"}
    pairs = {}

    def add(name, value):
        items = value if isinstance(value, list) else [value]
        pairs.setdefault(name, []).extend(items)

    for key, value in values.items():
        param = params.get(key)
        if param is not None:
            style = param.style or "form"
            explode = param.explode if param.explode is not None else True
            if param.explode is None and isinstance(value, list) and style in ("pipeDelimited", "spaceDelimited"):
                explode = False
            if isinstance(value, dict):
                if not value:
                    continue
                if explode:
                    for k, v in value.items():
                        name = f"{key}[{_scalar(k)}]" if param.style == "deepObject" else _scalar(k)
                        add(name, _scalar(v))
                else:
                    parts = [s for k, v in value.items() for s in (_scalar(k), _scalar(v))]
                    add(key, _DELIMITERS.get(style, ",").join(parts))
                continue
            if not explode and isinstance(value, list):
                if value:
                    add(key, _DELIMITERS.get(style, ",").join(_scalar(v) for v in value))
                continue
        add(key, value)
    return [(name, _query_value(v)) for name, items in pairs.items() for v in items]


def _simple(value, explode=False):
    if isinstance(value, dict):
        return ",".join(f"{_scalar(k)}={_scalar(v)}" if explode else f"{_scalar(k)},{_scalar(v)}"
                        for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(_scalar(i) for v in value for i in (v if isinstance(v, (list, tuple)) else [v]))
    return _scalar(value)


def _path_item(name, value):
    text = _scalar(value)
    decoded = text
    for _ in range(32):
        if any(part in (".", "..") for part in decoded.replace("\\", "/").split("/")):
            raise RequestBuildError(f"Path parameter '{name}' cannot contain dot segments")
        expanded = urllib.parse.unquote(decoded)
        if expanded == decoded:
            break
        decoded = expanded
    else:
        raise RequestBuildError(f"Path parameter '{name}' has too many encoding layers")
    return urllib.parse.quote(text, safe="").replace(".", "%2E")


def _path_segment(name, value, explode):
    if isinstance(value, dict):
        return ",".join(f"{_path_item(name, k)}={_path_item(name, v)}" if explode else
                        f"{_path_item(name, k)},{_path_item(name, v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(_path_item(name, i) for v in value for i in (v if isinstance(v, (list, tuple)) else [v]))
    return _path_item(name, value)


def _url(route, values, base_url):
    missing = [n for n in dict.fromkeys(_PATH_PARAM.findall(route.path)) if n not in values]
    if missing:
        raise RequestBuildError(f"Missing required path parameters: {{{', '.join(repr(n) for n in missing)}}}")
    explode = {p.name: bool(p.explode) for p in route.parameters if p.location == "path"}
    path = route.path
    for name, value in values.items():
        placeholder = "{" + name + "}"
        if placeholder in path:
            path = path.replace(placeholder, _path_segment(name, value, explode.get(name, False)))
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def _form_value(name, value, encoding):
    content_type = (encoding.get(name) or {}).get("contentType")
    if (content_type is not None and _is_json(content_type)) or (content_type is None and isinstance(value, dict)):
        return json.dumps(value, allow_nan=False)
    return value


def build(client, route, arguments, timeout=None):
    """The request for a call, built by the user's client (its defaults apply)."""
    path, query, headers_in, cookies, body = _unflatten(route, arguments)
    base_url = str(getattr(client, "base_url", "") or "") or "http://localhost"
    url = _url(route, path, base_url)
    explode = {p.name: bool(p.explode) for p in route.parameters if p.location == "header"}
    headers = [(k, _simple(v, explode.get(k, False))) for k, v in headers_in.items()]
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={_scalar(v)}" for k, v in cookies.items())))
    kwargs = {}
    raw_type = next(iter(route.request_body.content_schema), None) if route.request_body else None
    media = _media(raw_type) if raw_type else None
    if body is not None:
        encoding = route.request_body.encoding.get(raw_type, {}) if raw_type else {}
        if media == "multipart/form-data" and isinstance(body, dict):
            kwargs["files"] = [(k, (None, i)) for k, v in body.items()
                               for i in (v if isinstance(v, list) and v and all(isinstance(x, str) for x in v)
                                         else [v if isinstance(v, (bytes, tuple)) else _scalar(v)])]
        elif media == "application/x-www-form-urlencoded" and isinstance(body, dict):
            kwargs["data"] = {k: _form_value(k, v, encoding) for k, v in body.items()}
        elif isinstance(body, (dict, list)) or (media and (media == "application/json" or media.endswith("+json"))):
            if raw_type is not None and raw_type != "application/json" and "json" in (media or ""):
                kwargs["content"] = json.dumps(body, allow_nan=False).encode()
                headers.append(("Content-Type", raw_type))
            else:
                kwargs["content"] = json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                                               allow_nan=False).encode()
                headers.append(("Content-Type", "application/json"))
        else:
            content = _scalar(body) if isinstance(body, (bool, int, float)) else body
            if raw_type is not None:
                headers.append(("Content-Type", raw_type))
            kwargs["content"] = content.encode() if isinstance(content, str) else content
    if timeout is not None:
        kwargs["timeout"] = timeout
    return client.build_request(route.method, url, params=_query(route, query) or None, headers=headers, **kwargs)


def _http_error_kind(exc, name):
    return any(c.__name__ == name and c.__module__.split(".")[0] in ("httpx", "httpx2") for c in type(exc).__mro__)


async def send(client, request):
    """Sends through the client; its timeouts and connection errors say what happened, as fastmcp words them."""
    try:
        return await client.send(request)
    except Exception as exc:
        if _http_error_kind(exc, "TimeoutException"):
            raise ValueError(f"HTTP request timed out ({type(exc).__name__})") from exc
        if _http_error_kind(exc, "RequestError"):
            raise ValueError(f"Request error ({type(exc).__name__}): {exc}") from exc
        raise


class HTTPStatusError(Exception):
    """An answer outside 2xx; the message names the status and what the API said."""

    def __init__(self, message, response=None):
        super().__init__(message)
        self.response = response


def _bounded(text):
    return text if len(text) <= _ERROR_BODY_LIMIT else text[:_ERROR_BODY_LIMIT] + "… (truncated)"


def raise_for_status(response):
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"HTTP error {status}: {response.reason_phrase}"
    headers = response.headers
    if 300 <= status < 400 and headers.get("location"):
        message += f" - Location: {headers.get('location')}"
    body = response.text
    if body and _media(headers.get("content-type", "")) not in ("text/html", "application/xhtml+xml"):
        try:
            data = response.json()
        except ValueError:
            if not body.lstrip().lower().startswith(("<!doctype html", "<html")):
                message += f" - {_bounded(body)}"
        else:
            message += f" - {_bounded(json.dumps(data, ensure_ascii=False))}"
    raise HTTPStatusError(message, response)


def missing_arguments_error(missing):
    return ToolError(f"Missing required arguments: {', '.join(missing)}")
