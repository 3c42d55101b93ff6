"""Content blocks and their conversion from what user functions return, as fastmcp converts them.

Blocks are kept as MCP-shaped dicts (``{"type": "text", "text": ...}``) with media bytes left raw;
``berth_sdk.guest`` turns them into the WIT records at the boundary.
"""

import base64
import inspect
import json
import mimetypes
import os
import pathlib
import re
import typing
import urllib.parse

from pydantic import PydanticSchemaGenerationError
from pydantic_core import PydanticSerializationError

from berth_sdk.errors import ToolError
from berth_sdk.mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    Model,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from berth_sdk.schema import SchemaError, adapter, to_json_state, to_jsonable


def jsonable(value, nested=False):
    """``to_jsonable`` that also knows ``mcp.types`` models: one given as it is, dumped by alias without nulls;
    one inside a dict or list, as pydantic dumps the ``mcp`` 2.x model there (snake_case field names, nulls
    kept: ``{"image": img.to_image_content()}`` gives ``mime_type``, ``annotations``, ``meta``)."""
    if isinstance(value, Model):
        if nested:
            return {re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m.group(1).lower(), k): jsonable(v, True)
                    for k, v in value.model_dump(mode="json").items()}
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)) and any(_has_model(v) for v in value):
        return [jsonable(v, nested) for v in value]
    if isinstance(value, dict) and any(_has_model(v) for v in value.values()):
        return {str(k): jsonable(v, True) for k, v in value.items()}
    return to_jsonable(value)


def _has_model(value):
    if isinstance(value, Model):
        return True
    if isinstance(value, dict):
        return any(_has_model(v) for v in value.values())
    return isinstance(value, (list, tuple)) and any(_has_model(v) for v in value)


def dumps(value):
    """Compact JSON text, as pydantic's ``dump_json`` writes it."""
    return json.dumps(jsonable(value), separators=(",", ":"), ensure_ascii=False)


CONTENT_TYPES = (TextContent, ImageContent, AudioContent, EmbeddedResource, ResourceLink)


class _Media:
    """Base of Image and Audio: bytes from ``data=`` or a file ``path=``, with a media type."""

    _kind = "image"
    _default_mime = "image/png"

    def __init__(self, path=None, data=None, format=None, annotations=None):  # noqa: A002 - fastmcp's name
        if (path is None) == (data is None):
            raise ValueError(f"{type(self).__name__} needs exactly one of path= or data=")
        self.path = path
        self.data = data
        self.annotations = annotations
        self._format = format

    @property
    def mime_type(self):
        if self._format:
            fmt = self._format.lower()
            return fmt if "/" in fmt else f"{self._kind}/{fmt}"
        if self.path:
            guessed = mimetypes.guess_type(str(self.path))[0]
            if guessed:
                return guessed
        return self._default_mime

    def raw(self):
        if self.data is not None:
            return bytes(self.data)
        with open(os.fspath(self.path), "rb") as f:
            return f.read()

    def block(self):
        return {"type": self._kind, "data": self.raw(), "mimeType": self.mime_type}


class Image(_Media):
    """An image result: ``Image(data=png_bytes)`` or ``Image(path="chart.png")``."""

    def to_image_content(self):
        return ImageContent(data=base64.b64encode(self.raw()).decode(), mimeType=self.mime_type)


class Audio(_Media):
    """An audio result: ``Audio(data=wav_bytes)`` or ``Audio(path="clip.wav")``."""

    _kind = "audio"
    _default_mime = "audio/wav"

    def to_audio_content(self):
        return AudioContent(data=base64.b64encode(self.raw()).decode(), mimeType=self.mime_type)


class File(_Media):
    """A file result, embedded as a resource: text for a ``text/*`` type, else a base64 blob (as fastmcp)."""

    _kind = "file"
    _default_mime = "application/octet-stream"
    _TEXT_FORMATS = {"plain": "text/plain", "txt": "text/plain", "text": "text/plain", "csv": "text/csv",
                     "html": "text/html", "htm": "text/html", "md": "text/markdown", "markdown": "text/markdown"}

    def __init__(self, path=None, data=None, format=None, name=None, annotations=None):  # noqa: A002
        super().__init__(path=path, data=data, format=format, annotations=annotations)
        self.name = name

    @property
    def mime_type(self):
        if self._format:
            fmt = self._format.lower()
            return self._TEXT_FORMATS.get(fmt, fmt if "/" in fmt else f"application/{fmt}")
        return super().mime_type

    def _uri(self):
        if self.path:
            return pathlib.Path(os.fspath(self.path)).resolve().as_uri()
        mime = self.mime_type
        extension = f".{self._format.lower()}" if self._format else f".{mime.split('/')[1]}"
        if self.name:
            name = self.name if pathlib.PurePosixPath(self.name).suffix else self.name + extension
            return "file:///" + urllib.parse.quote(name)
        return f"file:///resource{extension}"

    def block(self):
        raw, mime = self.raw(), self.mime_type
        if mime.startswith("text/"):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            return {"type": "resource", "resource": {"uri": self._uri(), "mimeType": mime, "text": text}}
        return {"type": "resource", "resource": {"uri": self._uri(), "mimeType": mime, "blob": raw}}


UNSTRUCTURED_TYPES = CONTENT_TYPES + (_Media,)


def _b64decode(data):
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    return base64.b64decode(data)


def resource_contents(value):
    """A resource-contents dict (uri, mimeType, text or blob bytes) from a model or dict."""
    if isinstance(value, dict):
        d = dict(value)
    else:
        d = {k: v for k, v in vars(value).items()}
    d["mimeType"] = d.pop("mime_type", d.get("mimeType"))
    out = {"uri": str(d.get("uri", "")), "mimeType": d.get("mimeType")}
    if d.get("blob") is not None:
        out["blob"] = _b64decode(d["blob"])
    else:
        out["text"] = d.get("text", "")
    return out


def as_block(item):
    """One content block from a content object, Image/Audio/File, str, bytes or other JSON data."""
    if isinstance(item, _Media):
        return item.block()
    if isinstance(item, TextContent):
        return {"type": "text", "text": item.text}
    if isinstance(item, (ImageContent, AudioContent)):
        return {"type": item.type, "data": _b64decode(item.data), "mimeType": item.mimeType}
    if isinstance(item, EmbeddedResource):
        return {"type": "resource", "resource": resource_contents(item.resource)}
    if isinstance(item, ResourceLink):
        return {"type": "resource_link", "uri": str(item.uri), "name": item.name,
                "description": item.description, "mimeType": item.mimeType}
    if isinstance(item, dict) and item.get("type") in ("text", "image", "audio", "resource", "resource_link"):
        return _dict_block(item)
    if isinstance(item, str):
        return {"type": "text", "text": item}
    if isinstance(item, (bytes, bytearray)):
        try:
            return {"type": "text", "text": bytes(item).decode("utf-8")}
        except UnicodeDecodeError:
            return {"type": "text", "text": base64.b64encode(item).decode("ascii")}
    return {"type": "text", "text": dumps(item)}


def _dict_block(item):
    kind = item["type"]
    if kind == "text":
        return {"type": "text", "text": str(item.get("text", ""))}
    if kind in ("image", "audio"):
        return {"type": kind, "data": _b64decode(item.get("data", "")), "mimeType": item.get("mimeType") or item.get("mime_type")}
    if kind == "resource":
        return {"type": "resource", "resource": resource_contents(item["resource"])}
    return {"type": "resource_link", "uri": item["uri"], "name": item.get("name", item["uri"]),
            "description": item.get("description"), "mimeType": item.get("mimeType")}


def is_content(item):
    return isinstance(item, UNSTRUCTURED_TYPES) or (
        isinstance(item, dict) and item.get("type") in ("text", "image", "audio", "resource", "resource_link")
        and len(item) <= 4 and not isinstance(item.get("type"), dict)
    )


def to_blocks(result):
    """fastmcp's ``_convert_to_content``: None is empty, lists keep their content blocks."""
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        return [as_block(result)]
    if not result:
        return []
    if any(isinstance(item, UNSTRUCTURED_TYPES) for item in result):
        return [as_block(item) for item in result]
    return [{"type": "text", "text": dumps(result)}]


def block_model(block):
    """The ``mcp.types`` model of an MCP-shaped block dict (media bytes back to base64)."""
    kind = block["type"]
    if kind == "text":
        return TextContent(text=block["text"])
    if kind in ("image", "audio"):
        cls = ImageContent if kind == "image" else AudioContent
        return cls(data=base64.b64encode(block["data"]).decode(), mimeType=block["mimeType"])
    if kind == "resource":
        r = dict(block["resource"])
        if "blob" in r:
            r["blob"] = base64.b64encode(r["blob"]).decode()
            return EmbeddedResource(resource=BlobResourceContents(**r))
        return EmbeddedResource(resource=TextResourceContents(**r))
    return ResourceLink(**{k: v for k, v in block.items() if k != "type"})


class ToolResult:
    """fastmcp's ``ToolResult``: content blocks, structured content and meta, returned as they are."""

    def __init__(self, content=None, structured_content=None, meta=None, is_error=False):
        if content is None and structured_content is None:
            raise ValueError("Either content or structured_content must be provided")
        self._blocks = to_blocks(structured_content if content is None else content)
        self._content = None
        if structured_content is not None:
            structured_content = jsonable(structured_content)
            if not isinstance(structured_content, dict):
                raise ValueError(f"structured_content must be a dict or None; got {type(structured_content).__name__}")
        self.structured_content = structured_content
        self.meta = meta
        self.is_error = bool(is_error)

    @classmethod
    def _of(cls, blocks, structured, is_error=False, meta=None):
        result = cls.__new__(cls)
        result._blocks, result._content = blocks, None
        result.structured_content, result.meta, result.is_error = structured, meta, is_error
        return result

    @property
    def content(self):
        if self._content is None:
            self._content = [block_model(b) for b in self._blocks]
        return self._content

    @content.setter
    def content(self, value):
        self._content = list(value)
        self._blocks = None

    def blocks(self):
        return self._blocks if self._content is None else [as_block(c) for c in self._content]

    def to_mcp_result(self):
        return CallToolResult(content=list(self.content), structuredContent=self.structured_content,
                              isError=self.is_error, meta=self.meta)

    def __repr__(self):
        return f"ToolResult(content={self.content!r}, structured_content={self.structured_content!r})"


WRAP_META = {"fastmcp": {"wrap_result": True}}  # fastmcp marks a result it wrapped under "result"


def _own_meta(meta):
    """A result's own ``_meta`` as JSON data (None when empty)."""
    return jsonable(meta) if meta else None


def structured_of(value, return_type=None):
    """A return value as JSON data, serialized as fastmcp does: by pydantic for the declared return type (a
    subclass's extra fields or a TypedDict's extra keys are left out), with no fallback for unknown objects
    (PydanticSerializationError). ``mcp.types`` records, which are not pydantic models here, as ``jsonable``."""
    if _has_model(value):
        return jsonable(value)
    if return_type is not None and return_type is not inspect.Signature.empty and return_type is not typing.Any \
            and return_type is not Ellipsis and not isinstance(return_type, str):
        try:
            return adapter(return_type).dump_python(value, mode="json")
        except (PydanticSchemaGenerationError, SchemaError):
            pass
    return to_json_state(value)


def tool_result(value, output_schema, tool_name="tool", return_type=None):
    """``(blocks, structured, is_error, meta)`` for a tool's return value, following fastmcp's rules; ``meta``
    is the result's own ``_meta`` (a ToolResult's, or fastmcp's wrap marker)."""
    if isinstance(value, ToolResult):
        return value.blocks(), value.structured_content, value.is_error, _own_meta(value.meta)
    if isinstance(value, CallToolResult):
        structured = None if value.structuredContent is None else jsonable(value.structuredContent)
        return [as_block(c) for c in value.content or []], structured, bool(value.isError), _own_meta(value.meta)
    has_content = isinstance(value, UNSTRUCTURED_TYPES) or (
        isinstance(value, (list, tuple)) and any(isinstance(item, UNSTRUCTURED_TYPES) for item in value)
    )
    if output_schema is None and has_content:
        return to_blocks(value), None, False, None
    try:
        structured = structured_of(value, return_type) if not has_content else None
    except (PydanticSerializationError, UnicodeDecodeError) as exc:
        if output_schema is not None:  # the schema obliges structured content: fastmcp makes it an error
            raise ToolError(f"Could not serialize the return value of tool {tool_name!r} for its output schema: "
                            f"{exc}. If this is unexpected, set the tool's output_schema to None to disable "
                            "automatic serialization.") from exc
        return to_blocks(value), None, False, None
    blocks = to_blocks(value) if has_content else to_blocks(structured)
    if output_schema is None:
        return blocks, structured if isinstance(structured, dict) else None, False, None
    if output_schema.get("x-fastmcp-wrap-result"):
        return blocks, {"result": structured}, False, WRAP_META
    return blocks, structured, False, None
