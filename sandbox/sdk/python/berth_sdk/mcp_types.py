"""MCP's protocol types (``mcp.types``) as small keyword records shaped like the SDK's pydantic models.

Each class is built with keyword arguments (MCP's camelCase names, or their snake_case spellings),
checks its required fields, fills defaults, and offers ``model_dump``/``model_dump_json``/``model_copy``.
They carry no validation beyond that: they are light records, not pydantic models.
"""

import json
import re
import typing

_MISSING = object()


def _camel(name):
    if name == "_meta":
        return "meta"
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _dump(value, mode, by_alias, exclude_none):
    if isinstance(value, Model):
        return value.model_dump(mode=mode, by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, dict):
        return {k: _dump(v, mode, by_alias, exclude_none) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dump(v, mode, by_alias, exclude_none) for v in value]
    if mode == "json" and isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


class Model:
    """A keyword record: ``_fields`` maps each MCP field name to its default (``_MISSING``: required)."""

    _fields: dict = {}

    def __init__(self, **kwargs):
        fields = type(self)._fields
        for key, value in kwargs.items():
            name = key if key in fields else _camel(key)
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no field {key!r}; its fields are "
                                f"{', '.join(fields)}")
            object.__setattr__(self, name, value)
        for name, default in fields.items():
            if name in vars(self):
                continue
            if default is _MISSING:
                raise TypeError(f"{type(self).__name__} needs {name}=")
            object.__setattr__(self, name, default() if callable(default) else default)

    def __getattr__(self, name):  # snake_case spellings of camelCase fields (mime_type, is_error, ...)
        camel = _camel(name)
        if camel != name and camel in type(self)._fields:
            return getattr(self, camel)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        camel = _camel(name)
        object.__setattr__(self, camel if camel in type(self)._fields else name, value)

    def model_dump(self, *, mode="python", by_alias=False, exclude_none=False, **_options):
        out = {}
        for name in type(self)._fields:
            value = getattr(self, name)
            if exclude_none and value is None:
                continue
            out["_meta" if by_alias and name == "meta" else name] = _dump(value, mode, by_alias, exclude_none)
        return out

    def model_dump_json(self, *, by_alias=False, exclude_none=False, **_options):
        return json.dumps(self.model_dump(mode="json", by_alias=by_alias, exclude_none=exclude_none),
                          separators=(",", ":"))

    def model_copy(self, *, update=None, deep=False):
        return type(self)(**{**{k: getattr(self, k) for k in type(self)._fields}, **(update or {})})

    @classmethod
    def model_validate(cls, data):
        return data if isinstance(data, cls) else cls(**data)

    def __eq__(self, other):
        return type(other) is type(self) and self.model_dump() == other.model_dump()

    __hash__ = None

    def __repr__(self):
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in type(self)._fields if getattr(self, k) is not None)
        return f"{type(self).__name__}({shown})"


def _model(cls_name, doc, /, **fields):
    return type(cls_name, (Model,), {"__doc__": doc, "_fields": fields, "__module__": "mcp.types"})


_list = list

Role = typing.Literal["user", "assistant"]
LoggingLevel = typing.Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
IncludeContext = typing.Literal["none", "thisServer", "allServers"]

Annotations = _model("Annotations", "Hints about content: audience, priority, lastModified.",
                     audience=None, priority=None, lastModified=None)
Icon = _model("Icon", "An icon: ``Icon(src=url, mimeType=..., sizes=[...])``.",
              src=_MISSING, mimeType=None, sizes=None, theme=None)
TextContent = _model("TextContent", "A text block.", type="text", text=_MISSING, annotations=None, meta=None)
ImageContent = _model("ImageContent", "An image block (base64 ``data``).", type="image", data=_MISSING,
                      mimeType=_MISSING, annotations=None, meta=None)
AudioContent = _model("AudioContent", "An audio block (base64 ``data``).", type="audio", data=_MISSING,
                      mimeType=_MISSING, annotations=None, meta=None)
TextResourceContents = _model("TextResourceContents", "A text resource's contents.", uri=_MISSING,
                              mimeType=None, meta=None, text=_MISSING)
BlobResourceContents = _model("BlobResourceContents", "A binary resource's contents (base64 ``blob``).",
                              uri=_MISSING, mimeType=None, meta=None, blob=_MISSING)
EmbeddedResource = _model("EmbeddedResource", "A resource embedded in a result.", type="resource",
                          resource=_MISSING, annotations=None, meta=None)
ResourceLink = _model("ResourceLink", "A link to a resource, without its contents.", name=_MISSING,
                      title=None, uri=_MISSING, description=None, mimeType=None, size=None, icons=None,
                      annotations=None, meta=None, type="resource_link")
ContentBlock = typing.Union[TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource]
Content = ContentBlock

CallToolResult = _model("CallToolResult", "A tool's whole result; returned from a tool, it is the result.",
                        meta=None, content=_list, structuredContent=None, isError=False)
ToolAnnotations = _model("ToolAnnotations", "Hints about a tool's behaviour.", title=None, readOnlyHint=None,
                         destructiveHint=None, idempotentHint=None, openWorldHint=None)
Tool = _model("Tool", "A tool as tools/list lists it.", name=_MISSING, title=None, description=None,
              inputSchema=_MISSING, outputSchema=None, icons=None, annotations=None, meta=None)
Resource = _model("Resource", "A resource as resources/list lists it.", name=_MISSING, title=None,
                  uri=_MISSING, description=None, mimeType=None, size=None, icons=None, annotations=None,
                  meta=None)
ResourceTemplate = _model("ResourceTemplate", "A resource template as listed.", name=_MISSING, title=None,
                          uriTemplate=_MISSING, description=None, mimeType=None, icons=None,
                          annotations=None, meta=None)
PromptArgument = _model("PromptArgument", "One argument of a prompt.", name=_MISSING, title=None,
                        description=None, required=None)
Prompt = _model("Prompt", "A prompt as prompts/list lists it.", name=_MISSING, title=None, description=None,
                arguments=None, icons=None, meta=None)
PromptMessage = _model("PromptMessage", "One message of a rendered prompt.", role=_MISSING, content=_MISSING)
GetPromptResult = _model("GetPromptResult", "A rendered prompt.", meta=None, description=None,
                         messages=_MISSING)
ReadResourceResult = _model("ReadResourceResult", "What a resource read returns.", meta=None,
                            contents=_MISSING)
Completion = _model("Completion", "Suggested values: ``Completion(values=[...], total=, hasMore=)``.",
                    values=_MISSING, total=None, hasMore=None)
CompletionArgument = _model("CompletionArgument", "The argument being completed and its partial value.",
                            name=_MISSING, value=_MISSING)
CompletionContext = _model("CompletionContext", "Arguments already given.", arguments=None)
PromptReference = _model("PromptReference", "Completion target: a prompt.", type="ref/prompt",
                         name=_MISSING, title=None)
ResourceTemplateReference = _model("ResourceTemplateReference", "Completion target: a resource template.",
                                   type="ref/resource", uri=_MISSING)
ResourceReference = ResourceTemplateReference
SamplingMessage = _model("SamplingMessage", "A message for the client's model.", role=_MISSING,
                         content=_MISSING, meta=None)
ModelHint = _model("ModelHint", "A model name hint.", name=None)
ModelPreferences = _model("ModelPreferences", "Which model the server would like.", hints=None,
                          costPriority=None, speedPriority=None, intelligencePriority=None)
CreateMessageResult = _model("CreateMessageResult", "The client's model's reply.", meta=None, role=_MISSING,
                             content=_MISSING, model=_MISSING, stopReason=None)
Root = _model("Root", "One of the client's roots.", uri=_MISSING, name=None, meta=None)
Implementation = _model("Implementation", "A server's or client's name and version.", name=_MISSING,
                        title=None, version=_MISSING, websiteUrl=None, icons=None)
ToolListChangedNotification = _model("ToolListChangedNotification", "Tells clients the tool list changed.",
                                     method="notifications/tools/list_changed", params=None)
ResourceListChangedNotification = _model("ResourceListChangedNotification", "Tells clients the resource list changed.",
                                         method="notifications/resources/list_changed", params=None)
PromptListChangedNotification = _model("PromptListChangedNotification", "Tells clients the prompt list changed.",
                                       method="notifications/prompts/list_changed", params=None)
ErrorData = _model("ErrorData", "A JSON-RPC error.", code=_MISSING, message=_MISSING, data=None)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

MODELS = [v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Model) and v is not Model]
