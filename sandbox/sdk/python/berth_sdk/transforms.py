"""Server-level transforms as fastmcp 4.x has them (``fastmcp.server.transforms``, ``mcp.add_transform``):
``Namespace`` (prefix names, namespace URIs), ``ToolTransform`` (``ToolTransformConfig`` per tool: rename,
redescribe, retag, transform arguments, hide) and ``Visibility`` (what ``mcp.enable``/``mcp.disable`` add).

A transform sees the server's components (its own and its mounts', after the server's own visibility) and
changes how they are listed and found, in the order added; later transforms see earlier ones' results.
``VersionFilter`` and the catalog/search transforms are refused at build time, naming what to use instead.
"""

from berth_sdk.errors import DefinitionError
from berth_sdk.tool_transform import ArgTransform, NotSet, TransformedTool

NAMED = ("tool", "prompt")  # kinds found by name; the others ("resource", "template") by URI


class Transform:
    """Base: lists as it is and finds by the same key."""

    def list(self, kind, items):
        return items

    def inner_key(self, kind, key):
        """The key the components under this transform know for ``key``; None when nothing answers to it."""
        return key

    def found(self, kind, component, key):
        """The component as this transform shows it, once found by ``key``."""
        return component

    def added_to(self, server):
        """Called by ``mcp.add_transform``; returns False when the transform needs no place in the chain."""
        return True


def _split_uri(uri):
    scheme, sep, rest = uri.partition("://")
    return (scheme + sep, rest) if sep else (None, uri)


class Namespace(Transform):
    """``Namespace("api")``: tools and prompts ``api_name``, resources ``scheme://api/path``."""

    def __init__(self, prefix):
        self._prefix = prefix
        self._name_prefix = f"{prefix}_"

    def __repr__(self):
        return f"Namespace({self._prefix!r})"

    def _outer(self, kind, key):
        if kind in NAMED:
            return self._name_prefix + key
        scheme, path = _split_uri(key)
        return f"{scheme}{self._prefix}/{path}" if scheme else key

    def list(self, kind, items):
        from berth_sdk.compose import Exposed

        if kind in NAMED:
            return [Exposed(c, name=self._outer(kind, c.name)) for c in items]
        return [Exposed(c, uri=self._outer(kind, c.uri)) for c in items]

    def inner_key(self, kind, key):
        if kind in NAMED:
            return key[len(self._name_prefix):] if key.startswith(self._name_prefix) else None
        scheme, path = _split_uri(key)
        if scheme and path.startswith(f"{self._prefix}/"):
            return scheme + path[len(self._prefix) + 1:]
        return None

    def found(self, kind, component, key):
        from berth_sdk.compose import Exposed

        return Exposed(component, name=key) if kind in NAMED else Exposed(component, uri=key)


class ArgTransformConfig:
    """``ArgTransformConfig``: an ``ArgTransform`` as configuration (JSON-friendly values only)."""

    _FIELDS = ("name", "description", "default", "hide", "required", "examples")

    def __init__(self, **kwargs):
        for key in kwargs:
            if key not in self._FIELDS:
                raise TypeError(f"ArgTransformConfig has no field {key!r}")
        for key in self._FIELDS:
            setattr(self, key, kwargs.get(key, False if key == "hide" else None))
        self._set = frozenset(kwargs)

    def to_arg_transform(self):
        return ArgTransform(**{k: getattr(self, k) for k in self._set})


class ToolTransformConfig:
    """``ToolTransformConfig(name=, version=, title=, description=, tags=, meta=, enabled=, arguments=)``."""

    _FIELDS = ("name", "version", "title", "description", "tags", "meta", "enabled", "arguments")

    def __init__(self, **kwargs):
        for key in kwargs:
            if key not in self._FIELDS:
                raise TypeError(f"ToolTransformConfig has no field {key!r}")
        self._set = set(kwargs)
        self.name = kwargs.get("name")
        self.version = kwargs.get("version")
        self.title = kwargs.get("title")
        self.description = kwargs.get("description")
        self.tags = set(kwargs.get("tags") or ())
        self.meta = kwargs.get("meta")
        self.enabled = kwargs.get("enabled", True)
        self.arguments = {k: v if isinstance(v, ArgTransformConfig) else ArgTransformConfig(**v)
                          for k, v in (kwargs.get("arguments") or {}).items()}

    def apply(self, tool):
        changes = {k: getattr(self, k) for k in ("name", "version", "title", "description", "tags", "meta")
                   if k in self._set}
        transformed = TransformedTool.from_tool(
            tool, transform_args={k: v.to_arg_transform() for k, v in self.arguments.items()}, **changes)
        if "enabled" in self._set:
            transformed.transform_enabled = bool(self.enabled)
        return transformed


class ToolTransform(Transform):
    """``ToolTransform({"tool_name": ToolTransformConfig(...)})``."""

    def __init__(self, transforms):
        self._transforms = dict(transforms)
        self._reverse = {}
        for original, config in self._transforms.items():
            target = config.name or original
            if target in self._reverse:
                raise ValueError(f"ToolTransform has duplicate target name {target!r}: both "
                                 f"{self._reverse[target]!r} and {original!r} map to it")
            self._reverse[target] = original

    def __repr__(self):
        names = list(self._transforms)
        return f"ToolTransform({names!r})" if len(names) <= 3 else \
            f"ToolTransform({names[:3]!r}... +{len(names) - 3} more)"

    def _apply(self, component):
        transformed = self._transforms[component.name].apply(component)
        return transformed if transformed.transform_enabled is not False else None

    def list(self, kind, items):
        if kind != "tool":
            return items
        out = []
        for c in items:
            shown = self._apply(c) if c.name in self._transforms else c
            if shown is not None:
                out.append(shown)
        return out

    def inner_key(self, kind, key):
        if kind != "tool":
            return key
        if key in self._reverse:
            return self._reverse[key]
        renamed = key in self._transforms and (self._transforms[key].name or key) != key
        return None if renamed else key

    def found(self, kind, component, key):
        if kind != "tool" or component.name not in self._transforms:
            return component
        return self._apply(component)


TransformedTool.transform_enabled = None


class Visibility(Transform):
    """``Visibility(enabled, names=, keys=, version=, tags=, components=, match_all=)``: the same as
    ``mcp.enable(...)``/``mcp.disable(...)``, applied where it is added."""

    def __init__(self, enabled, *, names=None, keys=None, version=None, tags=None, components=None,
                 match_all=False):
        self.enabled = enabled
        self.criteria = {"names": names, "keys": keys, "version": version, "tags": tags, "components": components}
        self.match_all = match_all

    def added_to(self, server):
        if self.match_all:
            server._add_visibility(self.enabled, None, True)
        elif self.enabled:
            server.enable(**self.criteria)
        else:
            server.disable(**self.criteria)
        return False


def _refused(name, why):
    def make(*_args, **_kwargs):
        from berth_sdk.options import caller

        raise DefinitionError(f"{caller()}: {name} is not supported by Berth's SDK: {why}")

    make.__name__ = name
    return make


VersionFilter = _refused("VersionFilter", "register only the versions this server should serve (the highest "
                                          "version of a name is listed and called)")
PromptsAsTools = _refused("PromptsAsTools", "write a tool that returns the prompt's text")
ResourcesAsTools = _refused("ResourcesAsTools", "write a tool that returns the resource's content")


class VisibilityStep(Transform):
    """An ``mcp.enable``/``mcp.disable`` made after a transform was added: it sees the components as the
    transforms before it show them (their new names), and a later step may show again what it hid."""

    def __init__(self, enabled, match, everything=False):
        self.enabled, self.match, self.everything = enabled, match, everything

    def mark(self, component, shown):
        return self.enabled if self.everything or self.match.matches(component) else shown


def _through(transforms, kind, component, keys=None):
    """``component`` as the chain shows it (None when hidden or dropped); ``keys``: each step's outer key."""
    shown = True
    for index, transform in enumerate(transforms):
        if isinstance(transform, VisibilityStep):
            shown = transform.mark(component, shown)
            continue
        component = transform.list(kind, [component]) if keys is None else \
            [transform.found(kind, component, keys[index])]
        component = component[0] if component and component[0] is not None else None
        if component is None:
            return None
    return component if shown else None


def listed(transforms, kind, items):
    out = []
    for item in items:
        shown = _through(transforms, kind, item)
        if shown is not None:
            out.append(shown)
    return out


def find(transforms, kind, key, finder, server):
    """``finder(inner key)`` through the transforms: the found tuple with its component as the transforms show
    it (owned by ``server`` once a transform made it a new tool), or None."""
    outer_keys = [None] * len(transforms)
    for index in range(len(transforms) - 1, -1, -1):
        outer_keys[index] = key
        key = transforms[index].inner_key(kind, key)
        if key is None:
            return None
    found = finder(key)
    if not found:
        return None
    component = _through(transforms, kind, found[0], outer_keys)
    if component is None:
        return None
    if isinstance(component, TransformedTool) and component is not found[0]:
        return (component, server, outer_keys[-1] if outer_keys else key) + tuple(found[3:])
    return (component,) + tuple(found[1:])


__all__ = ["ArgTransformConfig", "Namespace", "NotSet", "PromptsAsTools", "ResourcesAsTools", "ToolTransform",
           "ToolTransformConfig", "Transform", "VersionFilter", "Visibility"]
