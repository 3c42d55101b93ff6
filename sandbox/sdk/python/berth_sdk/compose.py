"""Composing servers: ``mcp.mount(child, namespace=...)`` (live) and ``mcp.import_server(child, prefix=...)``
(a copy), with fastmcp 4.x's names: tools and prompts ``<namespace>_<name>``, resources
``scheme://<namespace>/<rest>``. A mounted server's calls run through its own middleware, and its
lifespan starts with its parent's.
"""

import copy

from berth_sdk import options as opts
from berth_sdk import transforms
from berth_sdk.components import template_regex
from berth_sdk.errors import DefinitionError
from berth_sdk.extra_middleware import injected_tools


def namespaced_uri(uri, namespace):
    if not namespace:
        return uri
    scheme, sep, rest = uri.partition("://")
    return f"{scheme}://{namespace}/{rest}" if sep else f"{namespace}/{uri}"


def _strip_namespace(uri, namespace):
    if not namespace:
        return uri
    scheme, sep, rest = uri.partition("://")
    if sep and rest.startswith(namespace + "/"):
        return f"{scheme}://{rest[len(namespace) + 1:]}"
    if not sep and uri.startswith(namespace + "/"):
        return uri[len(namespace) + 1:]
    return None


class Exposed:
    """A component as a parent server shows it: its own name or URI, everything else the component's."""

    def __init__(self, component, name=None, uri=None):
        self._component = component
        self.name = name or component.name
        self.uri = uri or getattr(component, "uri", None)

    def __getattr__(self, attribute):
        return getattr(self._component, attribute)

    @property
    def key(self):
        kind = self._component.kind
        base = f"{kind}:{self.name if kind in ('tool', 'prompt') else self.uri}"
        return f"{base}@" if self._component.version is None else f"{base}@{self._component.version}"

    def model_copy(self, update=None, deep=False):
        return Exposed(self._component.model_copy(update=update, deep=deep), self.name, self.uri)

    def listing(self, uri=None, name=None):  # an Exposed of an Exposed: a mount of a mount
        if self._component.kind in ("resource", "template"):
            return self._component.listing(uri=uri or self.uri, name=name or self.name)
        return self._component.listing(name=name or self.name)


class Composition:
    """The mounting half of ``FastMCP``."""

    def __init__(self):
        self._mounts = []

    def mount(self, server=None, namespace=None, tool_names=None, *, prefix=None, as_proxy=None, **options):
        """Mounts another server: its components appear here, namespaced, and stay live."""
        at = opts.caller()
        if isinstance(server, str) and namespace is not None and not isinstance(namespace, str):
            server, namespace = namespace, server  # fastmcp 2.0's mount(prefix, server)
        opts.check("mcp.mount()", options, at, {}, {})
        if not hasattr(server, "_find_tool"):
            raise DefinitionError(f"{at}: mcp.mount() needs a FastMCP server, got {type(server).__name__}")
        if server is self:
            raise DefinitionError(f"{at}: a server cannot be mounted onto itself")
        if as_proxy:
            opts.notice(f"{at}: mcp.mount(as_proxy=True) is ignored: Berth runs the mounted server in process")
        if namespace is not None and prefix is not None:
            raise DefinitionError(f"{at}: mcp.mount() got both namespace= and prefix=; use namespace=")
        self._mounts.append((server, namespace if namespace is not None else prefix, dict(tool_names or {})))

    def import_server(self, server, prefix=None, **options):
        """Copies another server's components now (fastmcp 2.x); later changes to it are not seen."""
        at = opts.caller()
        opts.check("mcp.import_server()", options, at, {}, {})
        for name, tool in server._tools.items():
            self._register(self._tools, f"{prefix}_{name}" if prefix else name, _renamed(tool, prefix), "tool", at)
        for uri, res in server._resources.items():
            self._register(self._resources, namespaced_uri(uri, prefix), _relocated(res, prefix), "resource", at)
        for uri, res in server._templates.items():
            self._register(self._templates, namespaced_uri(uri, prefix), _relocated(res, prefix), "resource", at)
        for name, prompt in server._prompts.items():
            self._register(self._prompts, f"{prefix}_{name}" if prefix else name, _renamed(prompt, prefix),
                           "prompt", at)
        return _done()

    def _children(self):
        return [m[0] for m in self._mounts]

    def _mounted_name(self, name, namespace, names):
        return names.get(name) or (f"{namespace}_{name}" if namespace else name)

    def _original_name(self, name, namespace, names):
        for original, renamed in names.items():
            if renamed == name:
                return original
        original = name
        if namespace:
            original = name[len(namespace) + 1:] if name.startswith(namespace + "_") else None
        return None if original in names else original  # a renamed tool answers only to its new name

    def _named(self, own, child_items):
        out = {}
        for c in own.values():
            if self._visible(c):
                out.setdefault(c.name, c)
        for child, namespace, names in self._mounts:
            for c in child_items(child):
                exposed = Exposed(c, self._mounted_name(c.name, namespace, names))
                if self._visible(exposed):
                    out.setdefault(exposed.name, exposed)
        return list(out.values())

    def _all_tools(self):
        """Tools injected by middleware first (they take the place of registered ones of the same name)."""
        injected = injected_tools(getattr(self, "_middleware", ()))
        own = transforms.listed(self._transforms, "tool", self._named(self._tools, lambda child: child._all_tools()))
        return list(injected.values()) + [t for t in own if t.name not in injected]

    def _all_prompts(self):
        return transforms.listed(self._transforms, "prompt",
                                 self._named(self._prompts, lambda child: child._all_prompts()))

    def _all_resources(self, templates):
        return transforms.listed(self._transforms, "template" if templates else "resource",
                                 self._own_resources(templates))

    def _own_resources(self, templates):
        out = {}
        for r in (self._templates if templates else self._resources).values():
            if self._visible(r):
                out.setdefault(r.uri, r)
        for child, namespace, _names in self._mounts:
            for r in child._all_resources(templates):
                exposed = Exposed(r, uri=namespaced_uri(r.uri, namespace))
                if self._visible(exposed):
                    out.setdefault(exposed.uri, exposed)
        return list(out.values())

    def _find_named(self, table, name, finder):
        own = table.get(name)
        if own is not None and (not self._visibility or self._visible(own)):
            return own, self, name
        for child, namespace, names in self._mounts:
            original = self._original_name(name, namespace, names)
            found = original is not None and finder(child, original)
            if found and self._visible(Exposed(found[0], name)):
                return found[0], child, original
        return None

    def _find_tool(self, name):
        injected = injected_tools(getattr(self, "_middleware", ())).get(name)
        if injected is not None:
            return injected, self, name
        return transforms.find(self._transforms, "tool", name, lambda n: self._find_named(
            self._tools, n, lambda child, m: child._find_tool(m)), self)

    def _find_prompt(self, name):
        return transforms.find(self._transforms, "prompt", name, lambda n: self._find_named(
            self._prompts, n, lambda child, m: child._find_prompt(m)), self)

    def _find_resource(self, uri):
        found = transforms.find(self._transforms, "resource", uri, self._find_own_resource, self)
        return found

    def _find_own_resource(self, uri):
        """``(resource, owner, uri as the owner knows it, template arguments)`` or None."""
        res = self._resources.get(uri)
        if res is not None and self._visible(res):
            return res, self, uri, {}
        # A disabled resource of this server hides its templates for that URI (mounted servers may still
        # serve it), as fastmcp's local provider answers.
        for template in self._templates.values() if res is None else ():
            args = template.match(uri)
            if args is not None and self._visible(template):
                return template, self, uri, args
        for child, namespace, _names in self._mounts:
            original = _strip_namespace(uri, namespace)
            found = original is not None and child._find_resource(original)
            if found and self._visible(Exposed(found[0], uri=namespaced_uri(found[0].uri, namespace))):
                return found[0], child, original, found[3]
        return None

    def _find_template(self, uri_template):
        return transforms.find(self._transforms, "template", uri_template, self._find_own_template, self)

    def _find_own_template(self, uri_template):
        own = self._templates.get(uri_template)
        if own is not None and self._visible(own):
            return own, self
        for child, namespace, _names in self._mounts:
            original = _strip_namespace(uri_template, namespace)
            found = original is not None and child._find_template(original)
            if found:
                return found[0], child
        return None


def _renamed(component, prefix):
    if not prefix:
        return component
    clone = copy.copy(component)
    clone.name = f"{prefix}_{component.name}"
    return clone


def _relocated(resource, prefix):
    if not prefix:
        return resource
    clone = copy.copy(resource)
    clone.uri = namespaced_uri(resource.uri, prefix)
    if clone.is_template:
        clone.regex = template_regex(clone.uri)
    return clone


async def _done():
    """``await mcp.import_server(...)`` works (fastmcp 2.x made it async); the copy is already made."""
    return None
