"""Which components a server shows: ``mcp.enable``/``mcp.disable`` (by names, keys, version, tags, kinds;
``only=True`` for an allowlist) and ``mcp.add_transform``. Rules are applied in the order given, a later one
overriding an earlier; a rule made after a transform sees the components as the transforms show them."""

from berth_sdk import options as opts
from berth_sdk.errors import DefinitionError
from berth_sdk.transforms import Transform, VisibilityStep


class VisibilityRules:
    """The visibility half of ``FastMCP`` (its ``_visibility`` rules and ``_transforms`` chain)."""

    def enable(self, *, names=None, keys=None, version=None, tags=None, components=None, only=False):
        """Shows matching components again; with ``only=True``, shows only them."""
        if only:
            self._add_visibility(False, None, True)
        self._add_visibility(True, _Match(names, keys, version, tags, components), False)
        return self

    def disable(self, *, names=None, keys=None, version=None, tags=None, components=None):
        """Hides matching components: they are neither listed nor callable."""
        self._add_visibility(False, _Match(names, keys, version, tags, components), False)
        return self

    def _add_visibility(self, enabled, match, everything):
        # After a transform, a rule sees what the transforms before it show (berth_sdk.transforms).
        if self._transforms:
            self._transforms.append(VisibilityStep(enabled, match, everything))
        else:
            self._visibility.append((enabled, match, everything))

    def add_transform(self, transform):
        """Adds a server-level transform (``Namespace``, ``ToolTransform``, ``Visibility``), applied to every
        component, own and mounted, after the ones added before it."""
        if not isinstance(transform, Transform):
            raise DefinitionError(f"{opts.caller()}: add_transform takes a transform from fastmcp.server.transforms "
                                  f"(Namespace, ToolTransform, Visibility), got {type(transform).__name__}")
        if transform.added_to(self):
            self._transforms.append(transform)

    def _visible(self, component):
        shown = True
        for enabled, match, everything in self._visibility:
            if everything or match.matches(component):
                shown = enabled
        return shown


class _Match:
    def __init__(self, names, keys, version, tags, components):
        malformed = sorted(k for k in keys or () if "@" not in k)
        if malformed:  # fastmcp 4.x warns and matches nothing; so does Berth, in the build log
            opts.notice(f"{opts.caller()}: component keys are missing the '@' version delimiter and will match "
                        f"nothing: {malformed}. A key always ends in '@' for an unversioned component (e.g. "
                        "'tool:my_tool@') or '@<version>' for a versioned one; or filter by names= instead")
        self.names = set(names) if names else None
        self.keys = set(keys) if keys else None
        self.version = version
        self.tags = set(tags) if tags else None
        self.components = set(components) if components else None

    def matches(self, c):
        if self.names is not None and c.name not in self.names and getattr(c, "uri", None) not in self.names:
            return False
        if self.keys is not None and c.key not in self.keys:
            return False
        if self.version is not None and str(c.version) != str(getattr(self.version, "eq", self.version)):
            return False
        if self.tags is not None and not self.tags & set(c.tags):
            return False
        return self.components is None or c.kind in self.components
