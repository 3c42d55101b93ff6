"""``mcp.local_provider``: fastmcp 4.x's home of a server's own components, for code that adds or removes
them through it (``mcp.local_provider.remove_tool("name")``, as FastMCP's guide shows)."""


class LocalProvider:
    def __init__(self, server):
        self._server = server

    def add_tool(self, tool, **options):
        return self._server.add_tool(tool, **options)

    def add_resource(self, resource, **options):
        return self._server.add_resource(resource, **options)

    add_template = add_resource

    def add_prompt(self, prompt, **options):
        return self._server.add_prompt(prompt, **options)

    def remove_tool(self, name, version=None):
        _remove("Tool", self._server._tools, name, version)

    def remove_resource(self, uri, version=None):
        _remove("Resource", self._server._resources, uri, version)

    def remove_template(self, uri_template, version=None):
        _remove("Template", self._server._templates, uri_template, version)

    def remove_prompt(self, name, version=None):
        _remove("Prompt", self._server._prompts, name, version)

    def __repr__(self):
        return f"LocalProvider({self._server.name!r})"


def _remove(kind, table, key, version):
    """Removes a component (all versions, or only ``version``); KeyError when there is none, as natively."""
    found = table.get(key)
    if found is None:
        raise KeyError(f"{kind} {key!r} not found")
    if version is not None and str(found.version) != str(version):
        raise KeyError(f"{kind} {key!r} version {version!r} not found")
    del table[key]
