"""Content blocks and their conversion from what user functions return, as fastmcp converts them.

Blocks are kept as MCP-shaped dicts (``{"type": "text", "text": ...}``) with media bytes left raw;
``berth_sdk.guest`` turns them into the WIT records at the boundary.
"""

import base64
import json
import mimetypes
import os

from berth_sdk.schema import to_jsonable


def dumps(value):
    """Compact JSON text, as pydantic's ``dump_json`` writes it."""
    return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)


class _Model:
    """A tiny keyword record with MCP field names, accepting snake_case spellings too."""

    _fields = ()
    _aliases = {"mime_type": "mimeType"}

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, self._aliases.get(key, key), value)
        for key, default in self._fields:
            if not hasattr(self, key):
                setattr(self, key, default)

    @property
    def mime_type(self):
        return getattr(self, "mimeType", None)

    def model_dump(self, **_):
        return {k: v for k, v in vars(self).items() if v is not None}

    def __repr__(self):
        return f"{type(self).__name__}({self.model_dump()!r})"


class TextContent(_Model):
    _fields = (("type", "text"), ("text", ""))


class ImageContent(_Model):
    _fields = (("type", "image"), ("data", ""), ("mimeType", "image/png"))


class AudioContent(_Model):
    _fields = (("type", "audio"), ("data", ""), ("mimeType", "audio/wav"))


class TextResourceContents(_Model):
    _fields = (("uri", ""), ("mimeType", None), ("text", ""))


class BlobResourceContents(_Model):
    _fields = (("uri", ""), ("mimeType", None), ("blob", ""))


class EmbeddedResource(_Model):
    _fields = (("type", "resource"), ("resource", None))


class ResourceLink(_Model):
    _fields = (("type", "resource_link"), ("uri", ""), ("name", ""), ("description", None), ("mimeType", None))


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
    """A file result, embedded as a resource (text when it decodes as UTF-8, else a blob)."""

    _kind = "file"
    _default_mime = "application/octet-stream"

    def __init__(self, path=None, data=None, format=None, name=None, annotations=None):  # noqa: A002
        super().__init__(path=path, data=data, format=format, annotations=annotations)
        self.name = name

    @property
    def mime_type(self):
        if self._format:
            return self._format if "/" in self._format else mimetypes.types_map.get("." + self._format, self._default_mime)
        return super().mime_type

    def block(self):
        name = self.name or (os.path.basename(str(self.path)) if self.path else "resource")
        return {"type": "resource", "resource": {"uri": f"file:///{name}", "mimeType": self.mime_type, "blob": self.raw()}}


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


def tool_result(value, output_schema):
    """``(blocks, structured)`` for a tool's return value, following fastmcp's rules."""
    has_content = isinstance(value, UNSTRUCTURED_TYPES) or (
        isinstance(value, (list, tuple)) and any(isinstance(item, UNSTRUCTURED_TYPES) for item in value)
    )
    if output_schema is None and has_content:
        return to_blocks(value), None
    structured = to_jsonable(value) if not has_content else None
    blocks = to_blocks(value) if has_content else to_blocks(structured)
    if output_schema is None:
        return blocks, structured if isinstance(structured, dict) else None
    if output_schema.get("x-fastmcp-wrap-result"):
        return blocks, {"result": structured}
    return blocks, structured
