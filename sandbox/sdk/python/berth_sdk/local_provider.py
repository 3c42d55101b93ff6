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
        _remove("Tool", self._server, self._server._tools, name, version)

    def remove_resource(self, uri, version=None):
        _remove("Resource", self._server, self._server._resources, uri, version)

    def remove_template(self, uri_template, version=None):
        _remove("Template", self._server, self._server._templates, uri_template, version)

    def remove_prompt(self, name, version=None):
        _remove("Prompt", self._server, self._server._prompts, name, version)

    def __repr__(self):
        return f"LocalProvider({self._server.name!r})"


def _remove(kind, server, table, key, version):
    """Removes a component (all versions, or only ``version``); KeyError when there is none, as natively."""
    from berth_sdk import versions

    if key not in table:
        raise KeyError(f"{kind} {key!r} not found")
    group = server._versions.get(id(table), {}).get(key) or {table[key].version: table[key]}
    if version is None:
        server._versions.get(id(table), {}).pop(key, None)
        del table[key]
        return
    found = next((v for v in group if str(v) == str(version)), ...)
    if found is ...:
        raise KeyError(f"{kind} {key!r} version {version!r} not found")
    del group[found]
    if not group:
        server._versions.get(id(table), {}).pop(key, None)
        del table[key]
    elif key in server._versions.get(id(table), {}):
        versions.refresh(table, server._versions[id(table)], key)
