"""Mistakes in a user's server are reported at build time, naming the file and line and the fix."""

import pytest

from berth_sdk.errors import DefinitionError

HEADER = "from fastmcp import FastMCP, Context\nmcp = FastMCP('bad')\n"


@pytest.mark.parametrize("source,needles", [
    (HEADER + "@mcp.resource('data://{id}/x')\ndef r(other: str) -> str:\n    return ''\n",
     [".py:3", "resource template 'data://{id}/x'", "['id'] are not parameters", "['other'] do not appear",
      "same names"]),
    (HEADER + "@mcp.tool\ndef t(*args) -> str:\n    return ''\n",
     [".py:3", "takes *args", "declare each parameter"]),
    (HEADER + "@mcp.tool\ndef t(**kw) -> str:\n    return ''\n", [".py:3", "takes **kw"]),
    (HEADER + "@mcp.tool\ndef t(a, /) -> str:\n    return ''\n", [".py:3", "positional-only", "remove the '/'"]),
    (HEADER + "class Odd:\n    pass\n@mcp.tool\ndef t(a: Odd) -> str:\n    return ''\n",
     [".py:5", "tool 't'", "unsupported type 'Odd'", "JSON-compatible type"]),
    (HEADER + "@mcp.resource\ndef r() -> str:\n    return ''\n", [".py:3", "needs a URI"]),
])
def test_definition_errors_name_file_line_and_fix(load_project, source, needles):
    with pytest.raises(DefinitionError) as err:
        load_project(source)
    for needle in needles:
        assert needle in str(err.value)


def test_missing_module(load_project):
    from berth_sdk.guest import load_entry

    with pytest.raises(DefinitionError, match="no module 'nosuchmodule'.*check the entry point"):
        load_entry("nosuchmodule", "mcp")


def test_missing_import_inside_user_module(load_project):
    with pytest.raises(DefinitionError, match="no module named 'requests_not_here'.*requirements.txt"):
        load_project("import requests_not_here\n")


def test_server_or_app_is_served_when_mcp_is_missing(load_project, capsys):
    guest, _ = load_project("from fastmcp import FastMCP\nserver = FastMCP('x')\n")
    assert '"name": "x"' in guest.describe()
    assert "no 'mcp'; serving the FastMCP server 'server'" in capsys.readouterr().err


def test_other_server_names_are_suggested(load_project):
    with pytest.raises(DefinitionError, match=r"no server object named 'mcp'; the module defines weather: rename"):
        load_project("from fastmcp import FastMCP\nweather = FastMCP('x')\n")


def test_no_server_at_module_level_says_which_names_were_tried(load_project):
    with pytest.raises(DefinitionError) as err:
        load_project("from fastmcp import FastMCP\ndef main():\n    m = FastMCP('x')\n")
    message = str(err.value)
    assert message.startswith("server_") and "looked for mcp, server, app" in message
    assert "at module level" in message


def test_attribute_not_a_server(load_project):
    with pytest.raises(DefinitionError, match=r"'mcp' is a int, not a FastMCP server"):
        load_project("mcp = 3\n")


def test_factory_function_is_called(load_project):
    guest, _ = load_project("from fastmcp import FastMCP\ndef mcp():\n    return FastMCP('made')\n")
    assert '"name": "made"' in guest.describe()


@pytest.mark.parametrize("spelling", [
    "from fastmcp import FastMCP, Context",
    "from mcp.server.fastmcp import FastMCP, Context",
    "from mcp.server.mcpserver import MCPServer as FastMCP, Context",
])
def test_all_three_import_spellings(load_project, spelling):
    source = f"{spelling}\nmcp = FastMCP('s')\n@mcp.tool()\ndef t(x: int, ctx: Context) -> int:\n    return x\n" \
             "if __name__ == '__main__':\n    mcp.run()\n"
    guest, _ = load_project(source)
    assert '"name": "t"' in guest.describe()


def test_pydantic_model_and_field(load_project):
    source = ("from fastmcp import FastMCP\nfrom pydantic import BaseModel, Field\nmcp = FastMCP('m')\n"
              "class Item(BaseModel):\n    name: str\n    qty: int = Field(1, ge=1)\n"
              "@mcp.tool\ndef t(item: Item) -> Item:\n    return item\n")
    guest, _ = load_project(source)
    import json
    tool = json.loads(guest.describe())["tools"][0]
    assert tool["inputSchema"]["properties"]["item"] == {
        "properties": {"name": {"type": "string"}, "qty": {"default": 1, "minimum": 1, "type": "integer"}},
        "required": ["name"], "type": "object"}
