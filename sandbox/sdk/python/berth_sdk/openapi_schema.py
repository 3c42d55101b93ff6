"""An OpenAPI 3.0/3.1 document read into routes, and their tool input and output schemas, as fastmcp 4.x does.

fastmcp validates the document with openapi-pydantic and works on ``model_dump(by_alias=True,
exclude_none=True)`` of its Schema objects, so the schemas it lists have that model's key order (``items``
before ``type`` in 3.1, ``title`` first in 3.0), its numeric bounds as floats (``"maximum": 100.0``) and no
null-valued keywords. ``normalize`` reproduces that dump on plain dicts, so the listings match byte for
byte without openapi-pydantic (which the guest does not have).

Then, as fastmcp: ``$ref``s to ``#/components/schemas/X`` become ``#/$defs/X`` with only the definitions an
operation needs; parameters and the JSON body's properties merge into one object (a name used twice gets
a ``__path``/``__query``/... suffix); a body ``allOf`` or discriminator mapping is flattened; readOnly
properties leave inputs and writeOnly ones outputs; 3.0's ``nullable`` and boolean exclusive bounds become
JSON Schema; the output schema is the first success response's JSON schema, wrapped under ``result`` when
it is not an object. ``dereference`` (``berth_sdk.openapi_jsonschema``) inlines every ``$ref`` when the listing
is served, as fastmcp's dereferencing middleware does (a recursive schema keeps its ``$defs``).
"""

import re
import urllib.parse
from collections import Counter

from berth_sdk.openapi_jsonschema import pointer, to_json_schema

# openapi-pydantic's Schema fields, in its declaration order (what model_dump writes first).
_FIELDS_31 = (
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items",
    "contains", "properties", "patternProperties", "additionalProperties", "propertyNames", "unevaluatedItems",
    "unevaluatedProperties", "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxContains", "minContains", "maxProperties", "minProperties", "required", "dependentRequired", "format",
    "contentEncoding", "contentMediaType", "contentSchema", "title", "description", "default", "deprecated",
    "readOnly", "writeOnly", "examples", "discriminator", "xml", "externalDocs", "example")
_FIELDS_30 = (
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties", "required",
    "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties", "additionalProperties",
    "description", "format", "default", "nullable", "discriminator", "readOnly", "writeOnly", "xml",
    "externalDocs", "example", "deprecated")
_FLOATS_31 = {"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"}
_FLOATS_30 = {"multipleOf", "maximum", "minimum"}
_ONE = {"not", "if", "then", "else", "items", "contains", "propertyNames", "unevaluatedItems",
        "unevaluatedProperties", "contentSchema", "additionalProperties"}
_MANY = {"allOf", "anyOf", "oneOf", "prefixItems"}
_MAP = {"properties", "patternProperties", "dependentSchemas"}
_JSON_TYPES = ("application/json", "application/vnd.api+json", "application/hal+json", "application/ld+json",
               "text/json")
_SUCCESS = ("200", "201", "202", "204")
_LOCATIONS = ("path", "query", "header", "cookie")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(ValueError):
    """A document fastmcp would refuse too (an external ``$ref``, a reference that resolves nowhere)."""


def normalize(node, v31):
    """A schema (or reference) as openapi-pydantic dumps it: its fields in order, floats, no nulls."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:  # a Reference object
        known = ("$ref", "summary", "description") if v31 else ("$ref",)
        out = {k: node[k] for k in known if node.get(k) is not None}
        out.update((k, v) for k, v in node.items() if k not in known and v is not None)
        return out
    fields, floats = (_FIELDS_31, _FLOATS_31) if v31 else (_FIELDS_30, _FLOATS_30)
    out = {}
    for key in fields:
        value = node.get(key)
        if value is None:
            continue
        if key in floats and isinstance(value, (int, float)):
            value = float(value)
        elif key in _ONE:
            value = normalize(value, v31)
        elif key in _MANY and isinstance(value, list):
            value = [normalize(v, v31) for v in value]
        elif key in _MAP and isinstance(value, dict):
            value = {k: normalize(v, v31) for k, v in value.items()}
        elif key == "discriminator" and isinstance(value, dict):
            order = ("propertyName", "mapping")
            value = {**{k: value[k] for k in order if value.get(k) is not None},
                     **{k: v for k, v in value.items() if k not in order and v is not None}}
        out[key] = value
    out.update((k, v) for k, v in node.items() if k not in out and k not in fields and v is not None)
    return out


def ref_name(ref):
    """The component a local ``$ref`` points into (``#/$defs/X/...`` or ``#/components/schemas/X/...``)."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    parts = urllib.parse.unquote(ref[1:].lstrip("/")).split("/")
    for root in (["$defs"], ["components", "schemas"]):
        n = len(root)
        if parts[:n] == root and len(parts) > n and parts[n]:
            return parts[n].replace("~1", "/").replace("~0", "~")
    return None


def to_defs(info, description=None):
    """fastmcp's ``_replace_ref_with_defs``: component ``$ref``s become ``#/$defs/...``, recursively."""
    schema = dict(info)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref.startswith("#/components/schemas/"):
            schema["$ref"] = "#/$defs/" + ref[len("#/components/schemas/"):]
        elif not ref.startswith("#/"):
            raise SpecError(f"External or non-local reference not supported: {ref}. FastMCP only supports local "
                            "schema references starting with '#/'. Please include all schema definitions within "
                            "the OpenAPI document.")
    if properties := schema.get("properties"):
        schema["properties"] = to_defs(properties) if "$ref" in properties else {
            k: to_defs(v) for k, v in properties.items()}
    if items := schema.get("items"):
        schema["items"] = to_defs(items)
    if "prefixItems" in schema:
        schema["prefixItems"] = [to_defs(i) if isinstance(i, dict) else i for i in schema["prefixItems"]]
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            schema[key] = [to_defs(i) for i in schema[key]]
    extra = schema.get("additionalProperties")
    if extra and not isinstance(extra, bool):
        schema["additionalProperties"] = to_defs(extra)
    for key in ("propertyNames", "contentSchema", "not", "if", "then", "else", "contains", "unevaluatedItems",
                "unevaluatedProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = to_defs(schema[key])
    for key in ("patternProperties", "dependentSchemas"):
        if isinstance(schema.get(key), dict):
            schema[key] = {k: to_defs(v) if isinstance(v, dict) else v for k, v in schema[key].items()}
    if info.get("description", description) and not schema.get("description"):
        schema["description"] = description
    return schema


# Routes -----------------------------------------------------------------------------------------


class ParameterInfo:
    """One parameter of an operation (fastmcp's ``ParameterInfo``): ``schema_`` is its JSON Schema."""

    def __init__(self, name, location, required=False, schema=None, description=None, explode=None, style=None):
        self.name, self.location, self.required = name, location, bool(required)
        self.schema_ = schema if schema is not None else {}
        self.description, self.explode, self.style = description, explode, style

    def __repr__(self):
        return f"ParameterInfo(name={self.name!r}, location={self.location!r}, required={self.required})"


class RequestBodyInfo:
    def __init__(self, required=False, description=None):
        self.required, self.description = bool(required), description
        self.content_schema = {}
        self.encoding = {}


class ResponseInfo:
    def __init__(self, description=None):
        self.description = description
        self.content_schema = {}


class HTTPRoute:
    """One operation of the document (fastmcp's ``HTTPRoute``), as ``route_map_fn`` and
    ``mcp_component_fn`` receive it."""

    def __init__(self, path, method, operation_id=None, summary=None, description=None, tags=None,
                 parameters=None, request_body=None, responses=None, request_schemas=None, response_schemas=None,
                 extensions=None, openapi_version=None):
        self.path, self.method, self.operation_id = path, method, operation_id
        self.summary, self.description = summary, description
        self.tags = list(tags or [])
        self.parameters = list(parameters or [])
        self.request_body = request_body
        self.responses = dict(responses or {})
        self.request_schemas = dict(request_schemas or {})
        self.response_schemas = dict(response_schemas or {})
        self.extensions = dict(extensions or {})
        self.openapi_version = openapi_version
        self.flat_param_schema = {}
        self.parameter_map = {}

    def __repr__(self):
        return f"HTTPRoute({self.method} {self.path})"


class _Parser:
    def __init__(self, spec):
        self.spec = spec
        self.version = str(spec.get("openapi", ""))
        self.v31 = not self.version.startswith("3.0")

    def resolve(self, item, seen=()):
        """A ``{"$ref": "#/..."}`` object replaced by its target (following chains)."""
        if not (isinstance(item, dict) and isinstance(item.get("$ref"), str)):
            return item
        ref = item["$ref"]
        if not ref.startswith("#/"):
            raise SpecError(f"External or non-local reference not supported: {ref}")
        if ref in seen:
            raise SpecError(f"Failed to resolve reference '{ref}': it refers to itself")
        target = pointer(self.spec, ref[2:])
        if target is None:
            raise SpecError(f"Failed to resolve reference '{ref}': not found in the document")
        return self.resolve(target, (*seen, ref))

    def schema(self, obj):
        return to_defs(normalize(self.resolve(obj), self.v31))

    def parameters(self, operation_params, path_params):
        out, seen = [], set()
        for raw in list(operation_params or []) + list(path_params or []):
            param = self.resolve(raw)
            if not isinstance(param, dict) or "name" not in param:
                continue
            location = param.get("in") if param.get("in") in _LOCATIONS else "query"
            key = (param["name"], param.get("in"))
            if key in seen:
                continue
            seen.add(key)
            schema = {}
            if param.get("schema"):
                schema = self.schema(param["schema"])
                default = self.resolve(param["schema"]).get("default") if isinstance(param["schema"], dict) else None
                if default is not None:
                    schema["default"] = default
            elif param.get("content"):
                media = next(iter(param["content"].values()), None) or {}
                if media.get("schema"):
                    schema = self.schema(media["schema"])
                    default = self.resolve(media["schema"]).get("default")
                    if default is not None:
                        schema["default"] = default
            if param.get("example") is not None:
                schema.pop("example", None)
                schema.pop("examples", None)
                schema["example"] = param["example"]
            out.append(ParameterInfo(param["name"], location, param.get("required", False), schema,
                                     param.get("description"), param.get("explode"), param.get("style")))
        return out

    def request_body(self, raw):
        if not raw:
            return None
        body = self.resolve(raw)
        info = RequestBodyInfo(body.get("required", False), body.get("description"))
        for media_type, media in (body.get("content") or {}).items():
            media = media or {}
            if media.get("encoding"):
                info.encoding[media_type] = dict(media["encoding"])
            if media.get("schema"):
                info.content_schema[media_type] = self.schema(media["schema"])
        return info

    def responses(self, raw):
        out = {}
        if not raw:
            return out
        raw = {str(k): v for k, v in raw.items()}
        primary = next(((c, raw[c]) for c in ("200", "201", "202", "204", "207") if c in raw), None) or next(
            ((c, r) for c, r in raw.items() if _is_success(c)), None)
        if primary is None:
            return out
        code, response = primary
        response = self.resolve(response)
        info = ResponseInfo(response.get("description"))
        for media_type, media in (response.get("content") or {}).items():
            media = media or {}
            if not media.get("schema"):
                info.content_schema.setdefault(media_type, {})
                continue
            top = None
            ref = media["schema"].get("$ref") if isinstance(media["schema"], dict) else None
            if isinstance(ref, str) and ref.startswith("#/components/schemas/") and \
                    "/" not in ref[len("#/components/schemas/"):]:
                top = ref[len("#/components/schemas/"):]
            schema = self.schema(media["schema"])
            if top:
                schema["x-fastmcp-top-level-schema"] = top
            info.content_schema[media_type] = schema
        out[code] = info
        for other, response in raw.items():
            if other == code or not other.startswith("2"):
                continue
            try:
                response = self.resolve(response)
            except SpecError:
                continue
            if isinstance(response, dict) and not response.get("content"):
                out[other] = ResponseInfo(response.get("description"))
        return out

    def routes(self):
        definitions = {}
        for name, schema in ((self.spec.get("components") or {}).get("schemas") or {}).items():
            definitions[name] = to_defs(self.schema(schema))
        routes = []
        for path, item in (self.spec.get("paths") or {}).items():
            item = self.resolve(item) if isinstance(item, dict) else item
            if not isinstance(item, dict):
                continue
            for method in _METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                parameters = self.parameters(operation.get("parameters"), item.get("parameters"))
                body = self.request_body(operation.get("requestBody"))
                responses = self.responses(operation.get("responses"))
                route = HTTPRoute(
                    path, method.upper(), operation.get("operationId"), operation.get("summary"),
                    operation.get("description"), operation.get("tags") or [], parameters, body, responses,
                    _input_dependencies(parameters, body, definitions),
                    _output_dependencies(responses, definitions),
                    {k: v for k, v in operation.items() if k.startswith("x-")}, self.version)
                route.flat_param_schema, route.parameter_map = combine(route)
                routes.append(route)
        return routes


def _is_success(code):
    try:
        return 200 <= int(code) < 300
    except (TypeError, ValueError):
        return str(code).lower() in ("default", "2xx")


def parse(spec):
    """The document's operations, in fastmcp's order (paths as written; get, put, post, delete, ...)."""
    if not isinstance(spec, dict):
        raise SpecError(f"openapi_spec must be the document as a dict (json.load or yaml.safe_load it), "
                        f"not {type(spec).__name__}")
    version = spec.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = f"swagger {spec['swagger']!r}" if "swagger" in spec else f"openapi {version!r}"
        raise SpecError(f"Invalid OpenAPI schema: FastMCP reads OpenAPI 3.0 and 3.1 documents, this one says {found}"
                        "; convert it to OpenAPI 3 (e.g. with swagger2openapi)")
    return _Parser(spec).routes()


def _collect(schema, definitions, found, follow_discriminator=False):
    def add(name):
        if name not in found and name in definitions:
            found.add(name)
            walk(definitions[name])

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                name = ref_name(node["$ref"])
                if name is None:
                    return
                add(name)
            if follow_discriminator and isinstance(node.get("discriminator"), dict):
                for target in (node["discriminator"].get("mapping") or {}).values():
                    name = _discriminator_target(target) if isinstance(target, str) else None
                    if name:
                        add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def _pick(definitions, names):
    return {name: schema for name, schema in definitions.items() if name in names}


def _input_dependencies(parameters, body, definitions):
    found = set()
    for param in parameters:
        if param.schema_:
            _collect(param.schema_, definitions, found)
    if body:
        for schema in body.content_schema.values():
            _collect(schema, definitions, found, follow_discriminator=True)
    return _pick(definitions, found)


def _output_dependencies(responses, definitions):
    found = set()
    for response in responses.values():
        for schema in response.content_schema.values():
            _collect(schema, definitions, found)
            top = schema.get("x-fastmcp-top-level-schema")
            if isinstance(top, str) and top in definitions:
                found.add(top)
                _collect(definitions[top], definitions, found)
    return _pick(definitions, found)


def _discriminator_target(target):
    for prefix in ("#/$defs/", "#/components/schemas/"):
        if target.startswith(prefix):
            return target[len(prefix):] or None
    if target.startswith("#") or "/" in target:
        return None
    return target or None


# Input schema ------------------------------------------------------------------------------------


def allof_members(schema, definitions, refs=frozenset()):
    """The schemas that together describe ``schema``: its ``$ref`` target and ``allOf`` members, recursively,
    each once (at its last position), then the keywords beside them."""
    members = {}
    active = set()

    def collect(node, refs):
        context = (id(node), refs)
        if context in active:
            return [node]
        active.add(context)
        found = {}

        def append(items):
            for item in items:
                found.pop(id(item), None)
                found[id(item)] = item

        children, trailing = [], []
        ref = node.get("$ref")
        target, name = None, None
        if isinstance(ref, str):
            for prefix in ("#/$defs/", "#/components/schemas/"):
                if ref.startswith(prefix):
                    name = ref[len(prefix):]
                    target = pointer(definitions, name) if name not in refs else None
                    break
        if isinstance(target, dict):
            children.append((target, refs | {name}))
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if siblings:
                children.append((siblings, refs))
        elif isinstance(node.get("allOf"), list):
            children.extend((m, refs) for m in node["allOf"] if isinstance(m, dict))
            siblings = {k: v for k, v in node.items() if k != "allOf"}
            if siblings:
                trailing.append(siblings)
        else:
            trailing.append(node)
        for child, child_refs in children:
            append(collect(child, child_refs))
        append(trailing)
        active.discard(context)
        return list(found.values())

    members = collect(schema, frozenset(refs))
    return members


_MERGEABLE = {"type", "properties", "required", "title", "description", "example", "examples", "deprecated",
              "discriminator", "oneOf"}


def _mergeable(schema):
    if schema.get("type", "object") != "object" or not set(schema) <= _MERGEABLE:
        return False
    if "oneOf" in schema:
        d = schema.get("discriminator")
        return isinstance(d, dict) and isinstance(d.get("propertyName"), str) and isinstance(d.get("mapping"), dict)
    return True


def ref_is_mergeable(schema, definitions):
    """Whether a body's ``$ref`` (if any) can be replaced by merging its properties."""
    if "$ref" not in schema:
        return True
    return all(_mergeable(m) for m in allof_members({"$ref": schema["$ref"]}, definitions))


def _flatten_discriminator(schema, definitions):
    d = schema.get("discriminator")
    if not isinstance(d, dict):
        return None
    prop, mapping = d.get("propertyName"), d.get("mapping")
    if not isinstance(prop, str) or not isinstance(mapping, dict):
        return None
    own = schema.get("properties", {})
    alternatives, values, variants = {}, [], []
    for value, target in mapping.items():
        if not isinstance(target, str):
            continue
        name = _discriminator_target(target)
        subtype = definitions.get(name) if name else None
        if not isinstance(subtype, dict):
            continue
        fields = []
        for member in allof_members(subtype, definitions):
            for name, sub in member.get("properties", {}).items():
                if name in own:
                    continue
                if name not in fields:
                    fields.append(name)
                seen = alternatives.setdefault(name, [])
                if sub not in seen:
                    seen.append(sub)
        values.append(repr(value))
        if fields:
            variants.append(f"{value!r} uses {', '.join(fields)}")
    if not values:
        return None
    properties = {**own, **{k: v[0] if len(v) == 1 else {"anyOf": v} for k, v in alternatives.items()}}
    note = f"Selects the variant. Accepted values: {', '.join(values)}."
    if variants:
        note += f" {'; '.join(variants)}. Send only the fields belonging to the selected variant."
    tag = properties.get(prop)
    if not isinstance(tag, dict):
        tag = {"type": "string"}
    existing = tag.get("description")
    properties[prop] = {**tag, "description": f"{existing} {note}" if existing else note}
    return properties


def combine(route):
    """fastmcp's ``_combine_schemas_and_map_params``: ``(input schema, {argument: {location, openapi_name}})``."""
    properties, required, mapping = {}, [], {}
    names = {loc: set() for loc in _LOCATIONS}
    for param in route.parameters:
        names[param.location].add(param.name)
    body_schema, body_props, body_defs = {}, {}, {}
    body = route.request_body
    ref_ok = True
    if body and body.content_schema:
        body_schema = dict(body.content_schema[next(iter(body.content_schema))])
        body_defs = {k: to_defs(v) if isinstance(v, dict) else v for k, v in (body_schema.get("$defs") or {}).items()}
        if body.description and not body_schema.get("description"):
            body_schema["description"] = body.description
        has_all_of = isinstance(body_schema.get("allOf"), list)
        ref_ok = ref_is_mergeable(body_schema, route.request_schemas)
        ref_with_props = "$ref" in body_schema and isinstance(body_schema.get("properties"), dict) and ref_ok
        if has_all_of or ref_with_props:
            merged, merged_required = {}, []
            for sub in allof_members(body_schema, route.request_schemas):
                for name, prop in sub.get("properties", {}).items():
                    if not has_all_of and name in merged and merged[name] != prop:
                        prop = {"allOf": [merged[name], prop]}
                    merged[name] = prop
                merged_required.extend(sub.get("required", []))
                if not has_all_of and isinstance(sub.get("discriminator"), dict):
                    body_schema["discriminator"] = sub["discriminator"]
            body_schema["properties"] = merged
            if merged_required:
                body_schema["required"] = list(dict.fromkeys(merged_required))
            body_schema.pop("allOf", None)
            if ref_ok:
                body_schema.pop("$ref", None)
        if not ref_ok:
            ref = body_schema["$ref"]
            siblings = {k: v for k, v in body_schema.items() if k != "$ref"}
            if not siblings.get("properties"):
                siblings.pop("properties", None)
            body_schema = {"allOf": [{"$ref": ref}, siblings]} if siblings else {"$ref": ref}
        flattened = _flatten_discriminator(body_schema, route.request_schemas)
        if flattened is not None:
            body_schema["properties"] = flattened
            body_schema.pop("discriminator", None)
        body_props = body_schema.get("properties", {}) if ref_ok else {}

    body_name = "body"
    body_names = set(body_props)
    if body and body.content_schema and not body_props:
        if "$ref" not in body_schema:
            body_name = re.sub(r"[^a-zA-Z0-9_]", "_", body_schema.get("title", "body").lower())
            if not body_name or body_name[0].isdigit():
                body_name = "body_data"
        body_names.add(body_name)
    counts = Counter(p.name for p in route.parameters)
    colliding = (set().union(*names.values()) & body_names) | {n for n, c in counts.items() if c > 1}

    for param in route.parameters:
        name = f"{param.name}__{param.location}" if param.name in colliding else param.name
        if param.required:
            required.append(name)
        mapping[name] = {"location": param.location, "openapi_name": param.name}
        schema = dict(param.schema_)
        if param.description and not schema.get("description"):
            schema["description"] = param.description
        if param.name in colliding:
            where = f"({param.location.capitalize()} parameter)"
            schema["description"] = f"{schema['description']} {where}" if schema.get("description") else where
        properties[name] = schema

    if body and body.content_schema:
        if body_props:
            for name, schema in body_props.items():
                properties[name] = schema
                mapping[name] = {"location": "body", "openapi_name": name}
            if body.required:
                required.extend(body_schema.get("required", []))
        else:
            properties[body_name] = body_schema
            if body.required:
                required.append(body_name)
            mapping[body_name] = {"location": "body", "openapi_name": body_name}

    result = {"type": "object", "properties": properties, "required": required}
    defs = {**route.request_schemas, **body_defs}
    if defs:
        result["$defs"] = defs
    if route.openapi_version and route.openapi_version.startswith("3"):
        result = _convert_input(result, set(body_props), route.openapi_version)
    return result, mapping


def _convert_input(schema, body_names, version):
    properties, definitions = schema["properties"], schema.get("$defs")

    def convert(sub):
        return to_json_schema(sub, version, remove_read_only=True, definitions=definitions)

    body = convert({"properties": {k: v for k, v in properties.items() if k in body_names},
                    "required": [n for n in schema["required"] if n in body_names]})
    converted = {name: body["properties"][name] if name in body_names else convert(sub)
                 for name, sub in properties.items() if name not in body_names or name in body["properties"]}
    result = {"type": "object", "properties": converted,
              "required": [n for n in schema["required"] if n not in body_names or n in body.get("required", [])]}
    if definitions is not None:
        result["$defs"] = {name: convert(d) for name, d in definitions.items()}
    return result


# Output schema -----------------------------------------------------------------------------------


def success_response(responses):
    """The response fastmcp describes: 200, 201, 202 or 204, else the first 2xx."""
    for code in _SUCCESS:
        if code in responses:
            return responses[code]
    return next((info for code, info in responses.items() if code.startswith("2")), None)


def output_schema(route):
    """fastmcp's ``extract_output_schema_from_responses``: None when a success may come without a body."""
    responses, definitions, version = route.responses, route.response_schemas, route.openapi_version
    if not responses or any(c.startswith("2") and not r.content_schema for c, r in responses.items()):
        return None
    info = success_response(responses)
    if info is None or not info.content_schema:
        return None
    schema = next((info.content_schema[t] for t in _JSON_TYPES if t in info.content_schema), None)
    if schema is None:
        schema = next(iter(info.content_schema.values()))
    if not schema or not isinstance(schema, dict):
        return None
    out = to_defs(schema)
    if "$ref" in out and definitions and out["$ref"].startswith("#/$defs/") and \
            out["$ref"][len("#/$defs/"):] in definitions:
        out = to_defs(definitions[out["$ref"][len("#/$defs/"):]])
    defs = {k: to_defs(v) if isinstance(v, dict) else v for k, v in (definitions or {}).items()}
    if version and version.startswith("3"):
        out = to_json_schema(out, version, remove_write_only=True, definitions=defs)
    inline = {k: to_defs(v) if isinstance(v, dict) else v for k, v in (out.get("$defs") or {}).items()}
    if out.get("type") != "object":
        out = {"type": "object", "properties": {"result": out}, "required": ["result"],
               "x-fastmcp-wrap-result": True}
    processed = {}
    if definitions:
        processed = dict(defs)
        if version and version.startswith("3"):
            processed = {k: to_json_schema(v, version, remove_write_only=True, definitions=defs)
                         for k, v in processed.items()}
    if processed or inline:
        out["$defs"] = {**processed, **inline}
    return out
