"""The content blocks of ``mcp.types`` as pydantic models, shaped as the official SDK 1.x declares them.

Berth's ``mcp.types`` are light keyword records (``berth_sdk.mcp_types``), which pydantic cannot describe. The
SDK 1.x takes a tool's return annotation naming one of its content blocks (``-> EmbeddedResource``,
``-> list[TextContent]``) as structured output: its JSON Schema is the output schema and the block, dumped
with its nulls, the structured content. These models stand in for the records there, so that schema and
dump are the SDK's (``berth_sdk.official``). They are never handed to user code.
"""

import types
import typing

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, UrlConstraints

from berth_sdk import mcp_types

_Uri = typing.Annotated[AnyUrl, UrlConstraints(host_required=False)]
_Meta = typing.Annotated[typing.Optional[dict[str, typing.Any]], Field(alias="_meta", default=None)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Icon(_Open):
    """An icon for display in user interfaces."""

    src: str
    mimeType: str | None = None
    sizes: list[str] | None = None


class Annotations(_Open):
    audience: list[typing.Literal["user", "assistant"]] | None = None
    priority: typing.Annotated[float, Field(ge=0.0, le=1.0)] | None = None


class TextContent(_Open):
    """Text content for a message."""

    type: typing.Literal["text"]
    text: str
    annotations: Annotations | None = None
    meta: _Meta


class ImageContent(_Open):
    """Image content for a message."""

    type: typing.Literal["image"]
    data: str
    mimeType: str
    annotations: Annotations | None = None
    meta: _Meta


class AudioContent(_Open):
    """Audio content for a message."""

    type: typing.Literal["audio"]
    data: str
    mimeType: str
    annotations: Annotations | None = None
    meta: _Meta


class TextResourceContents(_Open):
    """Text contents of a resource."""

    uri: _Uri
    mimeType: str | None = None
    meta: _Meta
    text: str


class BlobResourceContents(_Open):
    """Binary contents of a resource."""

    uri: _Uri
    mimeType: str | None = None
    meta: _Meta
    blob: str


class EmbeddedResource(_Open):
    """
    The contents of a resource, embedded into a prompt or tool call result.

    It is up to the client how best to render embedded resources for the benefit
    of the LLM and/or the user.
    """

    type: typing.Literal["resource"]
    resource: TextResourceContents | BlobResourceContents
    annotations: Annotations | None = None
    meta: _Meta


class ResourceLink(_Open):
    """
    A resource that the server is capable of reading, included in a prompt or tool call result.

    Note: resource links returned by tools are not guaranteed to appear in the results of `resources/list` requests.
    """

    name: str
    title: str | None = None
    uri: _Uri
    description: str | None = None
    mimeType: str | None = None
    size: int | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: _Meta
    type: typing.Literal["resource_link"]


STAND_INS = {getattr(mcp_types, m.__name__): m for m in (
    Icon, Annotations, TextContent, ImageContent, AudioContent, TextResourceContents, BlobResourceContents,
    EmbeddedResource, ResourceLink)}


def stand_in(tp):
    """``tp`` with every ``mcp.types`` record above replaced by its model (inside lists, unions, Annotated)."""
    if isinstance(tp, type):
        return STAND_INS.get(tp, tp)
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if not args or origin is None:
        return tp
    if origin is typing.Annotated:
        return typing.Annotated[(stand_in(args[0]), *args[1:])]
    replaced = tuple(stand_in(a) for a in args)
    if replaced == args:
        return tp
    if origin is typing.Union or isinstance(tp, types.UnionType):
        return typing.Union[replaced]
    try:
        return tp.copy_with(replaced) if hasattr(tp, "copy_with") else origin[replaced]
    except TypeError:
        return tp
