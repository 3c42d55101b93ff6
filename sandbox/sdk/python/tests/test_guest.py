"""The ``guest`` export end to end: WIT values in, WIT values out, host calls recorded."""

import json
import os

import pytest

from conftest import call_context

PROJECT = '''
import asyncio
import os
from dataclasses import dataclass
from typing import Literal

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.utilities.types import Image

mcp = FastMCP("guest-test", instructions="Testing.")


@mcp.tool
def add(a: int, b: int = 2) -> int:
    """Adds."""
    return a + b


@mcp.tool
async def chatty(ctx: Context) -> str:
    """Logs, reports progress and sleeps."""
    await ctx.debug("d")
    await ctx.info("i", extra={"k": 1})
    await ctx.warning("w", logger_name="lg")
    await ctx.error("e")
    await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    for i in range(3):
        await ctx.report_progress(i, 2, message=f"step {i}")
    print("printing must not break the call")
    return f"{ctx.request_id}/{ctx.session_id}"


@mcp.tool
async def counter(ctx: Context) -> int:
    n = (await ctx.get_state("n") or 0) + 1
    await ctx.set_state("n", n)
    return n


@mcp.tool
async def ask(ctx: Context) -> str:
    result = await ctx.elicit("Continue?", str)
    return f"{result.action}:{getattr(result, 'data', None)}"


@dataclass
class Info:
    name: str
    age: int = 0


@mcp.tool
async def ask_form(ctx: Context) -> str:
    result = await ctx.elicit("Who?", Info)
    return f"{result.action}:{getattr(result, 'data', None)}"


@mcp.tool
async def ask_nothing(ctx: Context) -> str:
    result = await ctx.elicit("Ok?", None)
    return result.action


@mcp.tool
async def ask_choice(ctx: Context) -> str:
    result = await ctx.elicit("Pick", ["red", "blue"])
    return f"{result.action}:{getattr(result, 'data', None)}"


@mcp.tool
async def llm(prompt: str, ctx: Context) -> str:
    reply = await ctx.sample(prompt, system_prompt="be brief", temperature=0.2, max_tokens=50,
                             model_preferences="claude")
    return f"{reply.type}:{reply.text}"


@mcp.tool
async def read_own(ctx: Context) -> str:
    items = await ctx.read_resource("data://x")
    return items[0].content


@mcp.tool
def env(name: str) -> str | None:
    return os.environ.get(name)


@mcp.tool
def fails() -> str:
    raise ToolError("nope")


@mcp.tool
def crashes() -> str:
    return 1 / 0


@mcp.tool
def picture() -> Image:
    return Image(data=b"PNG", format="png")


@mcp.resource("data://x", mime_type="text/plain")
def x() -> str:
    return "x-content"


@mcp.resource("data://blob")
def blob() -> bytes:
    return b"\\x00\\x01"


@mcp.resource("data://items/{item_id}")
def item(item_id: int) -> dict:
    return {"id": item_id}


@mcp.prompt
def hello(name: str, mood: Literal["happy", "hungry", "sad"] = "happy") -> str:
    """Says hello."""
    return f"Hello {name}, you look {mood}"


@mcp.prompt
def convo() -> list:
    from fastmcp.prompts import Message
    return [Message("q"), Message("a", role="assistant")]


if __name__ == "__main__":
    mcp.run()
'''


@pytest.fixture
def guest(load_project):
    return load_project(PROJECT)


def ctx(bindings):
    return call_context(bindings[1])


def call(guest_pair, bindings, name, args=None):
    g, _ = guest_pair
    return g.call_tool(ctx(bindings), name, json.dumps(args or {}))


def text_of(result):
    return [b.value for b in result.content]


def test_describe_lists_everything(guest):
    doc = json.loads(guest[0].describe())
    assert doc["name"] == "guest-test" and doc["instructions"] == "Testing."
    assert [t["name"] for t in doc["tools"]][:2] == ["add", "chatty"]
    assert [r["uri"] for r in doc["resources"]] == ["data://x", "data://blob"]
    assert doc["resourceTemplates"][0]["uriTemplate"] == "data://items/{item_id}"
    assert doc["prompts"][0]["arguments"][0] == {"name": "name", "required": True}


def test_call_tool_returns_text_and_structured(guest, bindings):
    result = call(guest, bindings, "add", {"a": 40})
    assert text_of(result) == ["42"] and json.loads(result.structured_json) == {"result": 42}
    assert result.is_error is False


def test_async_tool_logs_progress_and_prints(guest, bindings):
    result = call(guest, bindings, "chatty")
    assert text_of(result) == ["req-1/sess-1"]
    host = guest[1]
    assert [c[1:] for c in host.of("log")] == [
        ("debug", None, {"msg": "d", "extra": None}), ("info", None, {"msg": "i", "extra": {"k": 1}}),
        ("warning", "lg", {"msg": "w", "extra": None}), ("error", None, {"msg": "e", "extra": None})]
    assert [c[1:] for c in host.of("progress")] == [(0.0, 2.0, "step 0"), (1.0, 2.0, "step 1"),
                                                     (2.0, 2.0, "step 2")]


def test_state_goes_to_the_hosts_session_state(guest, bindings):
    assert text_of(call(guest, bindings, "counter")) == ["1"]
    assert text_of(call(guest, bindings, "counter")) == ["2"]
    assert guest[1].sessions["sess-1"]["n"] == "2"
    assert guest[1].kv == {}, "not in the project's own keys"


def call_in(guest_pair, bindings, session_id, name, args=None):
    g, _ = guest_pair
    context = call_context(bindings[1], session_id=session_id)
    return g.call_tool(context, name, json.dumps(args or {}))


def test_state_belongs_to_one_session(guest, bindings):
    # As in fastmcp: each client's session has its own state; another session starts from nothing.
    assert text_of(call_in(guest, bindings, "alice", "counter")) == ["1"]
    assert text_of(call_in(guest, bindings, "alice", "counter")) == ["2"]
    assert text_of(call_in(guest, bindings, "bob", "counter")) == ["1"]
    assert text_of(call_in(guest, bindings, "alice", "counter")) == ["3"]
    # A request outside any session keeps its state for that request only.
    assert text_of(call_in(guest, bindings, None, "counter")) == ["1"]
    assert text_of(call_in(guest, bindings, None, "counter")) == ["1"]
    assert not guest[1].sessions.get(None), "nothing reached the host without a session"


def test_values_that_are_not_json_are_request_scoped(load_project, bindings):
    pair = load_project('''
from fastmcp import Context, FastMCP

mcp = FastMCP("scoped")


class Client:
    pass


@mcp.tool
async def use_client(ctx: Context) -> str:
    before = await ctx.get_state("client")
    await ctx.set_state("client", Client(), serializable=False)
    now = await ctx.get_state("client")
    return f"{before is None}/{type(now).__name__}"


@mcp.tool
async def careless(ctx: Context) -> str:
    await ctx.set_state("client", Client())
    return "stored"
''')
    assert text_of(call(pair, bindings, "use_client")) == ["True/Client"]
    assert text_of(call(pair, bindings, "use_client")) == ["True/Client"], "it lasted past its request"
    refused = call(pair, bindings, "careless")
    assert refused.is_error
    assert "Value for state key 'client' is not serializable. Use set_state('client', value, " \
        "serializable=False)" in text_of(refused)[0]


def test_a_refused_state_write_raises_an_exception_the_tool_can_catch(load_project, bindings):
    pair = load_project('''
from berth_sdk import StateError
from fastmcp import Context, FastMCP

mcp = FastMCP("quota")


@mcp.tool
async def remember(value: str, ctx: Context) -> str:
    try:
        await ctx.set_state("v", value)
    except StateError as exc:
        return f"refused: {exc}"
    return "stored"


@mcp.tool
async def careless(value: str, ctx: Context) -> str:
    await ctx.set_state("v", value)
    return "stored"
''')
    pair[1].kv_max_value = 8
    assert text_of(call(pair, bindings, "remember", {"value": "short"})) == ["stored"]
    assert text_of(call(pair, bindings, "remember", {"value": "x" * 20})) == [
        "refused: storing session state failed: values may be at most 8 bytes"]
    assert pair[1].sessions["sess-1"]["v"] == '"short"', "the refused value was not stored"
    uncaught = call(pair, bindings, "careless", {"value": "x" * 20})
    assert uncaught.is_error
    assert "values may be at most 8 bytes" in text_of(uncaught)[0]


def test_elicit_scalar_wraps_value(guest, bindings):
    assert text_of(call(guest, bindings, "ask")) == ["accept:yes"]
    _, message, schema = guest[1].of("elicit")[0]
    assert message == "Continue?"
    # fastmcp 4.x's schema: pydantic's, with titles, without the wrapper's own (test_context_parity.py)
    assert schema == {"properties": {"value": {"title": "Value", "type": "string"}}, "required": ["value"],
                      "type": "object"}


def test_elicit_dataclass_and_decline(guest, bindings):
    guest[1].elicit_response = ("accept", {"name": "Ann", "age": 3})
    assert text_of(call(guest, bindings, "ask_form")) == ["accept:Info(name='Ann', age=3)"]
    schema = guest[1].of("elicit")[0][2]
    assert schema["properties"] == {"name": {"title": "Name", "type": "string"},
                                    "age": {"default": 0, "title": "Age", "type": "integer"}}
    assert schema["required"] == ["name"] and schema["title"] == "Info"
    guest[1].elicit_response = ("decline", None)
    assert text_of(call(guest, bindings, "ask_form")) == ["decline:None"]


def test_elicit_none_and_choices(guest, bindings):
    # fastmcp 4 refuses response_type=None before asking the client
    result = call(guest, bindings, "ask_nothing")
    assert result.is_error and "ctx.elicit() requires a response_type" in text_of(result)[0]
    assert guest[1].of("elicit") == []
    guest[1].elicit_response = ("accept", {"value": "blue"})
    assert text_of(call(guest, bindings, "ask_choice")) == ["accept:blue"]
    assert guest[1].of("elicit")[0][2]["properties"]["value"] == {"enum": ["red", "blue"], "title": "Value",
                                                                  "type": "string"}


def test_elicit_failure_is_an_error_result(guest, bindings):
    guest[1].elicit_error = "client cannot elicit"
    result = call(guest, bindings, "ask")
    assert result.is_error and "client cannot elicit" in text_of(result)[0]


def test_sample_builds_mcp_params(guest, bindings):
    assert text_of(call(guest, bindings, "llm", {"prompt": "hi"})) == ["text:model says hi"]
    params = guest[1].of("sample")[0][1]
    assert params == {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
                      "maxTokens": 50, "systemPrompt": "be brief", "temperature": 0.2,
                      "modelPreferences": {"hints": [{"name": "claude"}]}}


def test_read_resource_goes_through_host(guest, bindings):
    guest[1].resources["data://x"] = "from host"
    assert text_of(call(guest, bindings, "read_own")) == ["from host"]


def test_environment_is_refreshed_each_call(guest, bindings):
    assert text_of(call(guest, bindings, "env", {"name": "GREETING"})) == ["hi"]
    guest[1].env = [("GREETING", "hello")]
    assert text_of(call(guest, bindings, "env", {"name": "GREETING"})) == ["hello"]
    guest[1].env = []
    result = call(guest, bindings, "env", {"name": "GREETING"})
    assert result.content == [] and json.loads(result.structured_json) == {"result": None}
    assert "PATH" not in os.environ  # the build's environment is not the project's


def test_tool_errors_become_error_results(guest, bindings):
    result = call(guest, bindings, "fails")
    assert result.is_error and text_of(result) == ["nope"]
    result = call(guest, bindings, "crashes")
    assert result.is_error and text_of(result) == ["Error calling tool 'crashes': division by zero"]


def test_image_result(guest, bindings):
    _, types, _ = bindings
    block = call(guest, bindings, "picture").content[0]
    assert isinstance(block, types.ContentBlock_Image)
    assert block.value.data == b"PNG" and block.value.mime_type == "image/png"


@pytest.mark.parametrize("args,needles", [
    ({}, ["1 validation error for call[add]\na\n", "Missing required argument [type=missing_argument"]),
    ({"a": "x"}, ["a\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing"]),
    ({"a": 1, "c": 2}, ["c\n  Unexpected keyword argument [type=unexpected_keyword_argument"]),
])
def test_invalid_arguments_are_a_tool_error_result(guest, bindings, args, needles):
    result = call(guest, bindings, "add", args)  # the 2025-11-25 spec: a result with isError, not an error
    assert result.is_error
    for needle in needles:
        assert needle in text_of(result)[0]


def test_unknown_tool_is_an_error_result_naming_it(guest, bindings):
    result = call(guest, bindings, "nope", {})  # as fastmcp answers: a result, not a protocol error
    assert result.is_error and text_of(result) == ["Unknown tool: 'nope'"]


def test_invalid_json_arguments(guest, bindings):
    import componentize_py_types

    with pytest.raises(componentize_py_types.Err) as err:
        guest[0].call_tool(ctx(bindings), "add", "{not json")
    assert type(err.value.value).__name__ == "GuestError_InvalidParams"


def test_read_resources(guest, bindings):
    _, types, _ = bindings
    (text,) = guest[0].read_resource(ctx(bindings), "data://x")
    assert text.uri == "data://x" and text.mime_type == "text/plain"
    assert text.body == types.ResourceBody_Text("x-content")
    (blob,) = guest[0].read_resource(ctx(bindings), "data://blob")
    assert blob.body == types.ResourceBody_Blob(b"\x00\x01")
    (item,) = guest[0].read_resource(ctx(bindings), "data://items/7")
    assert json.loads(item.body.value) == {"id": 7}


def test_unknown_resource(guest, bindings):
    import componentize_py_types

    with pytest.raises(componentize_py_types.Err) as err:
        guest[0].read_resource(ctx(bindings), "data://missing")
    assert type(err.value.value).__name__ == "GuestError_NotFound"


def test_get_prompt(guest, bindings):
    _, _, wit_guest = bindings
    result = guest[0].get_prompt(ctx(bindings), "hello", [("name", "Ann"), ("mood", "sad")])
    assert result.description == "Says hello."
    assert result.messages[0].role == wit_guest.Role.USER
    assert result.messages[0].content.value == "Hello Ann, you look sad"
    roles = [m.role for m in guest[0].get_prompt(ctx(bindings), "convo", []).messages]
    assert roles == [wit_guest.Role.USER, wit_guest.Role.ASSISTANT]


def test_complete_suggests_literal_choices(guest, bindings):
    _, _, wit_guest = bindings
    ref = wit_guest.CompletionRef_Prompt("hello")
    assert guest[0].complete(ctx(bindings), ref, "mood", "h", []).values == ["happy", "hungry"]
    assert guest[0].complete(ctx(bindings), ref, "name", "", []).values == []
