"""What FastMCP's guides teach that Berth deliberately cannot do fails clearly, saying what to change; what
Berth does differently from native is said in the build log; and guide examples that need a client answer
(elicitation in the official SDK's spelling) work. (Parity of everything else: the docs_*
corpus modules in test_fastmcp_parity.py and test_context_parity.py.)"""

import errno
import json
import sys

import pytest

from berth_sdk.errors import DefinitionError, sandbox_hint
from conftest import call_context


def _call(pair, bindings, name, args=None):
    guest, _ = pair
    return guest.call_tool(call_context(bindings[1]), name, json.dumps(args or {}))


def _text(result):
    return [b.value for b in result.content]


def test_session_visibility_says_why_it_is_not_available(load_project, bindings):
    pair = load_project('''
from fastmcp import Context, FastMCP
mcp = FastMCP("x")

@mcp.tool
async def unlock(ctx: Context) -> str:
    await ctx.enable_components(tags={"premium"})
    return "unlocked"
''')
    result = _call(pair, bindings, "unlock")
    assert result.is_error
    assert "ctx.enable_components is not available in Berth: Berth lists a project's components once" in \
        _text(result)[0]
    assert "mcp.enable(...)/mcp.disable(...) at module level" in _text(result)[0]


def test_reading_a_file_at_run_time_says_to_read_it_at_import(load_project, bindings, monkeypatch):
    pair = load_project('''
from fastmcp import FastMCP
from fastmcp.utilities.types import Image
mcp = FastMCP("x")

@mcp.tool
def get_chart() -> Image:
    return Image(path="chart-that-is-not-there.png")
''')
    monkeypatch.setattr(sys, "platform", "wasi")  # inside the component, where there are no files
    text = _text(_call(pair, bindings, "get_chart"))[0]
    assert text.startswith("Error calling tool 'get_chart': [Errno 2] No such file or directory: "
                           "'chart-that-is-not-there.png' (Berth runs the server without files at run time: read "
                           "'chart-that-is-not-there.png' at module top level")
    assert "for Image/Audio/File pass data= instead of path=" in text


def test_the_file_hint_is_only_for_the_sandbox():
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", "data.json")
    assert sandbox_hint(missing, platform="linux") == ""
    assert "read 'data.json' at module top level" in sandbox_hint(missing, platform="wasi")
    assert sandbox_hint(ValueError("x"), platform="wasi") == ""


def test_file_resources_are_read_at_build_time_with_a_notice(load_project, tmp_path, capsys):
    (tmp_path / "notes.md").write_text("# Notes\n")
    guest, _ = load_project(f'''
import pathlib
from fastmcp import FastMCP
from fastmcp.resources import DirectoryResource, FileResource
mcp = FastMCP("x")
mcp.add_resource(FileResource(uri="file:///notes", path=pathlib.Path({str(tmp_path)!r}) / "notes.md"))
mcp.add_resource(DirectoryResource(uri="resource://dir", path=pathlib.Path({str(tmp_path)!r})))
''')
    notices = json.loads(guest.describe())["notices"]
    assert any("FileResource" in n and "is read at build time (Berth runs the server without files)" in n
               for n in notices), notices
    assert any("DirectoryResource" in n and "is listed at build time" in n for n in notices), notices


def test_a_relative_file_resource_path_is_refused_as_natively(load_project):
    with pytest.raises(DefinitionError, match=r"server_\d+\.py:4: FileResource\(path='notes.md'\): Path must be "
                                              r"absolute; build it from the module's own location"):
        load_project('from fastmcp import FastMCP\nfrom fastmcp.resources import FileResource\nmcp = FastMCP("x")\n'
                     'r = FileResource(uri="file:///n", path="notes.md")\n')


def test_arguments_fastmcp4_removed_are_a_notice(load_project, capsys):
    guest, _ = load_project('from fastmcp import FastMCP\n'
                            'mcp = FastMCP("x", exclude_tags={"internal"}, on_duplicate_tools="error")\n')
    notices = json.loads(guest.describe())["notices"]
    assert any("exclude_tags= was removed in fastmcp 4 (which refuses it); Berth applies it as fastmcp 3 did: "
               "use server.disable(tags=...)" in n for n in notices), notices
    assert any("on_duplicate_tools= was removed in fastmcp 4" in n and "use on_duplicate=" in n for n in notices)


def test_ping_middleware_and_list_change_notifications_are_notices(load_project, bindings, capsys):
    pair = load_project('''
import mcp.types
from fastmcp import Context, FastMCP
from fastmcp.server.middleware import PingMiddleware
mcp_server = FastMCP("x")
mcp_server.add_middleware(PingMiddleware(interval_ms=5000))

@mcp_server.tool
async def changed(ctx: Context) -> str:
    await ctx.send_notification(mcp.types.ToolListChangedNotification())
    return "sent"
''', attribute="mcp_server")
    notices = json.loads(pair[0].describe())["notices"]
    assert any("PingMiddleware(interval_ms=5000) sends no pings" in n for n in notices), notices
    assert _text(_call(pair, bindings, "changed")) == ["sent"]
    assert "ctx.send_notification(ToolListChangedNotification) was not sent" in capsys.readouterr().err


def test_a_method_decorated_in_its_class_is_refused_as_natively(load_project):
    with pytest.raises(DefinitionError, match=r"server_\d+\.py:5: the function 'greet' has 'self' as its first "
                                              r"parameter. Use the standalone @tool decorator"):
        load_project('from fastmcp import FastMCP\nmcp = FastMCP("x")\n\nclass Greeter:\n    @mcp.tool\n'
                     '    def greet(self, name: str) -> str:\n        return name\n')


def test_fastmcp_settings_set_server_defaults_and_note_the_rest(load_project, bindings, monkeypatch):
    from berth_sdk.global_settings import settings

    monkeypatch.setitem(object.__getattribute__(settings, "_values"), "mask_error_details", False)
    monkeypatch.setitem(object.__getattribute__(settings, "_values"), "stateless_http", False)
    pair = load_project('''
import fastmcp
from fastmcp import FastMCP
fastmcp.settings.mask_error_details = True
fastmcp.settings.stateless_http = True
mcp = FastMCP("x")

@mcp.tool
def boom() -> str:
    raise ValueError("secret")
''')
    assert _text(_call(pair, bindings, "boom")) == ["Error calling tool 'boom'"]
    notices = json.loads(pair[0].describe())["notices"]
    assert any("fastmcp.settings.stateless_http = True has no effect in Berth" in n for n in notices), notices
    with pytest.raises(AttributeError, match="fastmcp.settings has no setting 'nope'"):
        settings.nope = 1


def test_the_official_sdk_spelling_gets_the_file_hint_too(load_project, bindings, monkeypatch):
    pair = load_project('''
from pathlib import Path
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("Demo")

@mcp.resource("dir://desktop")
def desktop() -> list[str]:
    """List the files in the user's desktop"""
    return [str(f) for f in Path("/home/nobody/Desktop").iterdir()]
''')
    monkeypatch.setattr(sys, "platform", "wasi")
    import componentize_py_types

    with pytest.raises(componentize_py_types.Err) as raised:
        pair[0].read_resource(call_context(bindings[1]), "dir://desktop")
    assert raised.value.value.value.startswith("Error reading resource dir://desktop: [Errno 2] No such file or "
                                               "directory: '/home/nobody/Desktop' (Berth runs the server without "
                                               "files at run time")


def test_the_official_sdks_elicit_with_a_schema_model(load_project, bindings):
    """The official SDK's snippet (examples/snippets/servers/elicitation.py): ``ctx.elicit(message, schema=Model)``
    sends pydantic's schema of the model and gives the answer back as the model."""
    pair = load_project('''
from pydantic import BaseModel, Field
from mcp.server.mcpserver import Context, MCPServer

mcp = MCPServer(name="Elicitation Example")


class BookingPreferences(BaseModel):
    """Schema for collecting user preferences."""

    checkAlternative: bool = Field(description="Would you like to check another date?")
    alternativeDate: str = Field(default="2024-12-26", description="Alternative date (YYYY-MM-DD)")


@mcp.tool()
async def book_table(date: str, time: str, party_size: int, ctx: Context) -> str:
    """Book a table with date availability check."""
    if date == "2024-12-25":
        result = await ctx.elicit(
            message=(f"No tables available for {party_size} on {date}. Would you like to try another date?"),
            schema=BookingPreferences,
        )
        if result.action == "accept" and result.data:
            if result.data.checkAlternative:
                return f"[SUCCESS] Booked for {result.data.alternativeDate}"
            return "[CANCELLED] No booking made"
        return "[CANCELLED] Booking cancelled"
    return f"[SUCCESS] Booked for {date} at {time}"
''')
    from pydantic import BaseModel, Field

    class BookingPreferences(BaseModel):
        """Schema for collecting user preferences."""

        checkAlternative: bool = Field(description="Would you like to check another date?")
        alternativeDate: str = Field(default="2024-12-26", description="Alternative date (YYYY-MM-DD)")

    host = pair[1]
    host.elicit_response = ("accept", {"checkAlternative": True})
    args = {"date": "2024-12-25", "time": "19:00", "party_size": 4}
    assert _text(_call(pair, bindings, "book_table", args)) == ["[SUCCESS] Booked for 2024-12-26"]
    _, message, schema = host.of("elicit")[0]
    assert message == "No tables available for 4 on 2024-12-25. Would you like to try another date?"
    assert schema == BookingPreferences.model_json_schema()
    host.elicit_response = ("decline", None)
    assert _text(_call(pair, bindings, "book_table", args)) == ["[CANCELLED] Booking cancelled"]


def test_the_official_sampling_snippet_asks_the_clients_model(load_project, bindings, capsys):
    """examples/snippets/servers/sampling.py and notifications.py: ``ctx.session.create_message`` goes to the
    client's model through the host; a list-changed notification is a notice."""
    pair = load_project('''
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import SamplingMessage, TextContent

mcp = MCPServer(name="Sampling Example")


@mcp.tool()
async def generate_poem(topic: str, ctx: Context) -> str:
    """Generate a poem using LLM sampling."""
    prompt = f"Write a short poem about {topic}"
    result = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
        max_tokens=100,
    )
    if result.content.type == "text":
        return result.content.text
    return str(result.content)


@mcp.tool()
async def process_data(data: str, ctx: Context) -> str:
    await ctx.session.send_resource_list_changed()
    return f"Processed: {data}"
''')
    host = pair[1]
    assert _text(_call(pair, bindings, "generate_poem", {"topic": "tides"})) == ["model says hi"]
    assert host.of("sample")[0][1] == {"messages": [{"role": "user", "content": {
        "type": "text", "text": "Write a short poem about tides"}}], "maxTokens": 100}
    assert _text(_call(pair, bindings, "process_data", {"data": "x"})) == ["Processed: x"]
    assert "ctx.session.send_resource_list_changed() was not sent" in capsys.readouterr().err


def test_exclude_args_works_with_a_notice(load_project, bindings):
    pair = load_project('from fastmcp import FastMCP\nmcp = FastMCP("x")\n\n'
                        '@mcp.tool(exclude_args=["user_id"])\ndef who(q: str, user_id: str = "anon") -> str:\n'
                        '    return f"{q} {user_id}"\n')
    assert _text(_call(pair, bindings, "who", {"q": "hi"})) == ["hi anon"]
    notices = json.loads(pair[0].describe())["notices"]
    assert any("exclude_args= was removed in fastmcp 4" in n and "Depends(...)" in n for n in notices), notices
