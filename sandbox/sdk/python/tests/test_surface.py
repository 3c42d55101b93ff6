"""The FastMCP API surface through the real WIT export: mcp.types, result classes, error texts per spelling,
lifespan, middleware built-ins, composition and visibility.
"""

import json

import pytest

from conftest import call_context


def _call(pair, bindings, name, args=None):
    return pair[0].call_tool(call_context(bindings[1]), name, json.dumps(args or {}))


def _texts(result):
    return [b.value for b in result.content]


def test_mcp_types_are_keyword_models_with_model_dump():
    from mcp.types import CallToolResult, ImageContent, PromptReference, TextContent, ToolAnnotations

    block = TextContent(type="text", text="hi")
    assert block.model_dump() == {"type": "text", "text": "hi", "annotations": None, "meta": None}
    assert block.model_dump(exclude_none=True) == {"type": "text", "text": "hi"}
    result = CallToolResult(content=[block], is_error=True, _meta={"k": 1})
    assert result.isError is True and result.is_error is True
    assert result.model_dump(by_alias=True, exclude_none=True) == {
        "_meta": {"k": 1}, "content": [{"type": "text", "text": "hi"}], "isError": True}
    assert ToolAnnotations(read_only_hint=True).readOnlyHint is True
    assert PromptReference(name="p").type == "ref/prompt"
    with pytest.raises(TypeError, match="ImageContent needs mimeType="):
        ImageContent(type="image", data="AA==")
    with pytest.raises(TypeError, match="TextContent has no field 'txt'"):
        TextContent(type="text", txt="x")


RESULTS = '''
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.prompts.base import AssistantMessage, UserMessage
from mcp.server.session import ServerSession
from mcp.types import CallToolResult, Completion, EmbeddedResource, PromptReference, TextContent, \\
    TextResourceContents

mcp = FastMCP("results")


@mcp.tool()
def whole() -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text="partial")], structuredContent={"done": False},
                          isError=True)


@mcp.tool()
def embedded() -> list:
    return [EmbeddedResource(type="resource", resource=TextResourceContents(uri="memo://1", text="memo"))]


@mcp.tool()
async def typed_context(ctx: Context[ServerSession, None]) -> str:
    return f"{type(ctx).__name__}:{ctx.request_id}"


@mcp.prompt()
def dialogue(topic: str) -> list:
    return [UserMessage(f"About {topic}?"), AssistantMessage("Sure.")]


@mcp.completion()
async def complete(ref, argument, context):
    if isinstance(ref, PromptReference) and argument.name == "topic":
        return Completion(values=[v for v in ["tides", "tigers"] if v.startswith(argument.value)], hasMore=False)
    return None
'''


def test_official_sdk_results_and_prompt_messages(load_project, bindings):
    _, _, wit_guest = bindings
    pair = load_project(RESULTS)
    whole = _call(pair, bindings, "whole")
    assert whole.is_error and _texts(whole) == ["partial"] and json.loads(whole.structured_json) == {"done": False}
    (block,) = _call(pair, bindings, "embedded").content
    assert block.value.uri == "memo://1" and block.value.body.value == "memo"
    assert _texts(_call(pair, bindings, "typed_context")) == ["Context:req-1"]
    prompt = pair[0].get_prompt(call_context(bindings[1]), "dialogue", [("topic", "tides")])
    assert [(m.role, m.content.value) for m in prompt.messages] == [
        (wit_guest.Role.USER, "About tides?"), (wit_guest.Role.ASSISTANT, "Sure.")]
    done = pair[0].complete(call_context(bindings[1]), wit_guest.CompletionRef_Prompt("dialogue"), "topic", "ti", [])
    assert done.values == ["tides", "tigers"] and done.has_more is False


ERRORS = '''
{imports}

mcp = {make}


@mcp.tool()
def refuses() -> str:
    raise ToolError("not today")


@mcp.tool()
def crashes() -> str:
    raise ValueError("secret detail")


@mcp.resource("data://gone")
def gone() -> str:
    raise ResourceError("the store is closed")


@mcp.resource("data://broken")
def broken() -> str:
    raise KeyError("k")
'''


@pytest.mark.parametrize("imports,make,refuses,crashes,broken", [
    ("from fastmcp import FastMCP\nfrom fastmcp.exceptions import ResourceError, ToolError", "FastMCP('e')",
     "not today", "Error calling tool 'crashes': secret detail", "Error reading resource 'data://broken': 'k'"),
    ("from fastmcp import FastMCP\nfrom fastmcp.exceptions import ResourceError, ToolError",
     "FastMCP('e', mask_error_details=True)", "not today", "Error calling tool 'crashes'",
     "Error reading resource 'data://broken'"),
    ("from mcp.server.fastmcp import FastMCP\nfrom mcp.server.fastmcp.exceptions import ResourceError, ToolError",
     "FastMCP('e')", "Error executing tool refuses: not today", "Error executing tool crashes: secret detail",
     "Error reading resource data://broken: 'k'"),
    ("from mcp.server.mcpserver import MCPServer\nfrom mcp.server.mcpserver.exceptions import ResourceError, ToolError",
     "MCPServer('e')", "Error executing tool refuses: not today", "Error executing tool crashes",
     "Error reading resource data://broken"),
])
def test_error_texts_follow_each_spelling(load_project, bindings, imports, make, refuses, crashes, broken):
    import componentize_py_types

    pair = load_project(ERRORS.format(imports=imports, make=make))
    for name, text in (("refuses", refuses), ("crashes", crashes)):
        result = _call(pair, bindings, name)
        assert result.is_error and _texts(result) == [text]
    for uri, text in (("data://gone", "the store is closed"), ("data://broken", broken)):
        with pytest.raises(componentize_py_types.Err) as err:
            pair[0].read_resource(call_context(bindings[1]), uri)
        assert type(err.value.value).__name__ == "GuestError_Internal" and err.value.value.value == text


LIFESPAN = '''
import asyncio
from contextlib import asynccontextmanager

from fastmcp import Context, FastMCP

EVENTS = []


@asynccontextmanager
async def lifespan(server):
    EVENTS.append(f"start {server.name}")
    queue = asyncio.Queue()  # bound to the loop: later calls must share it
    await queue.put("first")
    yield {"db": "connected", "queue": queue}
    EVENTS.append("stop")


mcp = FastMCP("life", lifespan=lifespan)


@mcp.tool
async def use(ctx: Context) -> str:
    await ctx.lifespan_context["queue"].put("next")
    item = await ctx.lifespan_context["queue"].get()
    return f"{ctx.lifespan_context['db']}|{ctx.request_context.lifespan_context['db']}|{item}|{len(EVENTS)}"


@mcp.resource("data://events")
def events() -> list:
    return EVENTS
'''


def test_lifespan_runs_once_before_the_first_call_not_at_build(load_project, bindings):
    import sys

    pair = load_project(LIFESPAN)
    module = sys.modules[[n for n in sys.modules if n.startswith("server_")][-1]]
    assert module.EVENTS == [], "the lifespan must not run at build time (pre-initialization)"
    assert _texts(_call(pair, bindings, "use")) == ["connected|connected|first|1"]
    assert _texts(_call(pair, bindings, "use")) == ["connected|connected|next|1"]
    assert module.EVENTS == ["start life"]


def test_a_failing_lifespan_fails_every_call_with_its_reason(load_project, bindings):
    import componentize_py_types

    pair = load_project('''
from contextlib import asynccontextmanager
from fastmcp import FastMCP

@asynccontextmanager
async def lifespan(server):
    raise RuntimeError("no database")
    yield

mcp = FastMCP("x", lifespan=lifespan)

@mcp.tool
def t() -> str:
    return "never"
''')
    for _ in range(2):
        with pytest.raises(componentize_py_types.Err) as err:
            _call(pair, bindings, "t")
        assert err.value.value.value == "the server's lifespan failed: RuntimeError: no database"


def test_mounted_server_lifespan_starts_with_its_parent(load_project, bindings):
    pair = load_project('''
from contextlib import asynccontextmanager
from fastmcp import Context, FastMCP

@asynccontextmanager
async def child_life(server):
    yield {"who": "child"}

child = FastMCP("child", lifespan=child_life)

@child.tool
async def whoami(ctx: Context) -> str:
    return ctx.lifespan_context["who"]

mcp = FastMCP("parent")
mcp.mount(child, prefix="c")
''')
    assert _texts(_call(pair, bindings, "c_whoami")) == ["child"]


MIDDLEWARE = '''
import logging
from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware
from fastmcp.server.middleware.caching import ResponseCachingMiddleware
from fastmcp.server.middleware.error_handling import ErrorHandlingMiddleware
from fastmcp.server.middleware.rate_limiting import RateLimitingMiddleware
from fastmcp.server.middleware.timing import TimingMiddleware

SEEN = []
COUNT = {"n": 0}


class Audit(Middleware):
    async def on_message(self, context, call_next):
        SEEN.append(("message", context.method))
        return await call_next(context)

    async def on_call_tool(self, context, call_next):
        if context.message.name == "forbidden":
            raise ToolError("forbidden by policy")
        return await call_next(context)


mcp = FastMCP("mw", middleware=[Audit(), ErrorHandlingMiddleware(), TimingMiddleware(),
                                  RateLimitingMiddleware(max_requests_per_second=0.001, burst_capacity=3)])
mcp.add_middleware(ResponseCachingMiddleware(call_tool_settings={"ttl": 60, "included_tools": ["counted"]}))


@mcp.tool
def counted() -> int:
    COUNT["n"] += 1
    return COUNT["n"]


@mcp.tool
def forbidden() -> str:
    return "never"


@mcp.tool
def bad_value(n: int) -> int:
    raise ValueError("n must be even")
'''


def test_middleware_built_ins_through_the_export(load_project, bindings, capsys):
    import componentize_py_types
    import sys

    pair = load_project(MIDDLEWARE)
    module = sys.modules[[n for n in sys.modules if n.startswith("server_")][-1]]
    # List hooks ran at build time, once per listing.
    assert module.SEEN == [("message", m) for m in ("tools/list", "resources/list", "resources/templates/list",
                                                     "prompts/list")]
    assert "RateLimitingMiddleware keeps its state in each instance's memory" in capsys.readouterr().err
    assert _texts(_call(pair, bindings, "counted")) == ["1"]
    assert _texts(_call(pair, bindings, "counted")) == ["1"], "the second call is served from the cache"
    denied = _call(pair, bindings, "forbidden")
    assert denied.is_error and _texts(denied) == ["forbidden by policy"]
    with pytest.raises(componentize_py_types.Err) as err:  # ErrorHandlingMiddleware: ValueError -> -32602
        _call(pair, bindings, "bad_value", {"n": 1})
    assert type(err.value.value).__name__ == "GuestError_InvalidParams"
    assert err.value.value.value == "Invalid params: Error calling tool 'bad_value': n must be even"
    with pytest.raises(componentize_py_types.Err) as err:  # the bucket of 3 is empty now (forbidden never reached it)
        _call(pair, bindings, "counted")
    assert err.value.value.value == "Rate limit exceeded for client: global"
    assert module.SEEN[-1] == ("message", "tools/call")


def test_visibility_tags_and_import_server(load_project, bindings):
    pair = load_project('''
import asyncio
from fastmcp import FastMCP

sub = FastMCP("sub")

@sub.tool
def helper() -> str:
    return "helped"

@sub.resource("data://sub/{x}")
def thing(x: str) -> str:
    return x

mcp = FastMCP("vis", include_tags={"public"}, exclude_tags={"beta"})

@mcp.tool(tags={"public"})
def shown() -> str:
    return "shown"

@mcp.tool(tags={"public", "beta"})
def beta() -> str:
    return "beta"

@mcp.tool
def untagged() -> str:
    return "untagged"

imported = FastMCP("imported")
asyncio.run(imported.import_server(sub, prefix="s"))
mcp.mount(imported)
mcp.enable(names={"s_helper"})
''')
    doc = json.loads(pair[0].describe())
    assert [t["name"] for t in doc["tools"]] == ["shown", "s_helper"]
    assert [t["uriTemplate"] for t in doc["resourceTemplates"]] == []
    assert _texts(_call(pair, bindings, "s_helper")) == ["helped"]
    hidden = _call(pair, bindings, "beta")  # disabled: unknown, as fastmcp answers it
    assert hidden.is_error and _texts(hidden) == ["Unknown tool: 'beta'"]


@pytest.mark.parametrize("source,needles", [
    ("@mcp.resource('config')\ndef c() -> str:\n    return ''\n",
     [".py:3", "resource URI 'config' has no scheme", "\"data://config\""]),
    ("@mcp.tool\ndef t(x: int, ctx) -> str:\n    return ''\n",
     [".py:3", "tool 't': parameter 'ctx' has no type annotation", "`ctx: Context`"]),
    ("@mcp.tool(exclude_args=['y'])\ndef t(x: int, y: int) -> str:\n    return ''\n",
     [".py:3", "excluded argument 'y' needs a default value"]),
    ("mcp.add_middleware(object)\n", [".py:3", "add_middleware got the class object; pass an instance"]),
    ("@mcp.custom_route('/health', methods=['GET'])\nasync def h(request):\n    return None\n",
     [".py:3", "custom_route('/health') is not supported"]),
])
def test_common_mistakes_are_definition_errors(load_project, source, needles):
    from berth_sdk.errors import DefinitionError

    with pytest.raises(DefinitionError) as err:
        load_project("from fastmcp import FastMCP\nmcp = FastMCP('m')\n" + source)
    for needle in needles:
        assert needle in str(err.value)


def test_a_results_own_meta_reaches_the_host(load_project, bindings, capsys):
    pair = load_project('''
from fastmcp import FastMCP
from fastmcp.prompts import PromptResult
from fastmcp.tools import ToolResult

mcp = FastMCP("m")

@mcp.tool
def with_meta() -> ToolResult:
    return ToolResult(content="x", structured_content={"a": 1}, meta={"trace": "t1"})

@mcp.tool
def count() -> int:
    return 3

@mcp.tool
def plain() -> dict:
    return {"a": 1}

@mcp.prompt
def themed() -> PromptResult:
    return PromptResult("hi", meta={"theme": "dark"})
''')
    host = pair[1]
    result = _call(pair, bindings, "with_meta")
    assert _texts(result) == ["x"] and json.loads(result.structured_json) == {"a": 1}
    assert host.of("result_meta") == [("result_meta", {"trace": "t1"})]
    assert "meta" not in capsys.readouterr().err
    host.calls.clear()
    assert json.loads(_call(pair, bindings, "count").structured_json) == {"result": 3}
    assert host.of("result_meta") == [("result_meta", {"fastmcp": {"wrap_result": True}})], "fastmcp's wrap marker"
    host.calls.clear()
    _call(pair, bindings, "plain")
    assert host.of("result_meta") == [], "a result without _meta sets none"
    guest, _ = pair
    _, types, _ = bindings
    guest.get_prompt(types.CallContext("r", None), "themed", [])
    assert host.of("result_meta") == [("result_meta", {"theme": "dark"})]


def test_the_official_spellings_wrap_without_fastmcps_marker(load_project, bindings):
    pair = load_project('''
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("m")

@mcp.tool()
def count() -> int:
    return 3
''')
    assert json.loads(_call(pair, bindings, "count").structured_json) == {"result": 3}
    assert pair[1].of("result_meta") == []


def test_middleware_hooks_that_never_run_are_notices_and_foreign_middleware_an_error(load_project, capsys):
    from berth_sdk.errors import DefinitionError

    load_project('''
from fastmcp import FastMCP
from fastmcp.server.middleware import Middleware

class Greeter(Middleware):
    async def on_initialize(self, context, call_next):
        return await call_next(context)

mcp = FastMCP("m", middleware=[Greeter()])
''')
    assert ".py:9: Greeter.on_initialize never runs: Berth answers initialize itself" in capsys.readouterr().err
    with pytest.raises(DefinitionError, match=r"\.py:5: Stamp is not a fastmcp Middleware"):
        load_project('''from mcp.server.mcpserver import MCPServer
class Stamp:
    async def __call__(self, ctx, call_next):
        return await call_next(ctx)
mcp = MCPServer("m", middleware=[Stamp()])
''')


def test_components_built_in_code(load_project, bindings):
    pair = load_project('''
from fastmcp import FastMCP
from fastmcp.prompts import Prompt
from fastmcp.resources import Resource

def hello(name: str) -> str:
    return f"Hello {name}"

def motd() -> str:
    return "be kind"

mcp = FastMCP("code")
mcp.add_prompt(Prompt.from_function(hello, name="greeting", description="Greets."))
mcp.add_resource(Resource.from_function(motd, uri="data://motd", mime_type="text/markdown"))
mcp.add_resource(lambda key: key.upper(), uri="data://upper/{key}", name="upper")
''')
    doc = json.loads(pair[0].describe())
    assert [p["name"] for p in doc["prompts"]] == ["greeting"]
    assert doc["resources"][0]["mimeType"] == "text/markdown"
    (item,) = pair[0].read_resource(call_context(bindings[1]), "data://upper/abc")
    assert item.body.value == "ABC"
    rendered = pair[0].get_prompt(call_context(bindings[1]), "greeting", [("name", "Ann")])
    assert rendered.description == "Greets." and rendered.messages[0].content.value == "Hello Ann"


def test_unknown_server_attributes_say_they_are_not_part_of_the_sdk(load_project):
    with pytest.raises(AttributeError, match=r"FastMCP.add_gadget is not part of Berth's SDK"):
        load_project("from fastmcp import FastMCP\nmcp = FastMCP('x')\nmcp.add_gadget(None)\n")
    from berth_sdk.errors import DefinitionError

    # add_transform takes the transforms Berth has (Namespace, ToolTransform, Visibility); VersionFilter is refused.
    with pytest.raises(DefinitionError, match=r"server_\d+\.py:3: add_transform takes a transform"):
        load_project("from fastmcp import FastMCP\nmcp = FastMCP('x')\nmcp.add_transform(None)\n")
    with pytest.raises(DefinitionError, match=r"server_\d+\.py:3: VersionFilter is not supported by Berth's SDK"):
        load_project("from fastmcp import FastMCP\nfrom fastmcp.server.transforms import VersionFilter\n"
                     "mcp = FastMCP('x', transforms=[VersionFilter(version_lt='2.0')])\n")

    # add_provider exists for OpenAPIProvider only; anything else is a definition error naming it.
    with pytest.raises(DefinitionError, match=r"server_\d+\.py:3: add_provider takes an OpenAPIProvider"):
        load_project("from fastmcp import FastMCP\nmcp = FastMCP('x')\nmcp.add_provider(None)\n")


def test_list_middleware_reads_components_as_natively_and_get_context_works(load_project, bindings):
    pair = load_project('''
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_context
from fastmcp.server.middleware import Middleware
from mcp.types import ToolAnnotations

class ReadOnlyOnly(Middleware):
    async def on_list_tools(self, context, call_next):
        return [t for t in await call_next(context) if t.annotations and t.annotations.read_only_hint]

mcp = FastMCP("ro", middleware=[ReadOnlyOnly()])

@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
def look() -> str:
    return type(get_context()).__name__ + ":" + get_context().fastmcp.name

@mcp.tool
def write() -> str:
    return "written"
''')
    assert [t["name"] for t in json.loads(pair[0].describe())["tools"]] == ["look"]
    assert _texts(_call(pair, bindings, "look")) == ["Context:ro"]
    assert _texts(_call(pair, bindings, "write")) == ["written"], "hidden by a list hook, still callable"


def test_context_names_what_it_lacks(load_project, bindings, capsys):
    pair = load_project('''
from fastmcp import Context, FastMCP

mcp = FastMCP("c")

@mcp.tool
async def lists_changed(ctx: Context) -> str:
    await ctx.send_tool_list_changed()
    return "never"

@mcp.tool
async def session(ctx: Context) -> str:
    await ctx.session.send_ping()
    return "never"

@mcp.tool
async def sample_tools(ctx: Context) -> str:
    reply = await ctx.sample("hi", tools=[])
    return reply.text
''')
    failed = _call(pair, bindings, "lists_changed")
    assert failed.is_error and "ctx.send_tool_list_changed is not available in Berth's SDK" in _texts(failed)[0]
    failed = _call(pair, bindings, "session")
    assert failed.is_error and "ctx.session.send_ping is not available in Berth: the platform holds the MCP " \
        "session" in _texts(failed)[0]
    assert _texts(_call(pair, bindings, "sample_tools")) == ["model says hi"]
    assert "ctx.sample(tools=...) is not supported by Berth's SDK and was not sent" in capsys.readouterr().err


def test_mount_spellings_and_namespaced_resources(load_project, bindings):
    pair = load_project('''
from fastmcp import FastMCP

weather = FastMCP("weather")

@weather.tool
def forecast(city: str) -> str:
    return f"sun in {city}"

@weather.resource("weather://{city}/now")
def now(city: str) -> str:
    return f"now in {city}"

news = FastMCP("news")

@news.tool
def headline() -> str:
    return "all quiet"

mcp = FastMCP("hub")
mcp.mount(weather, prefix="w")
mcp.mount("n", news)  # fastmcp 2.0's mount(prefix, server)
mcp.mount(FastMCP("empty"))
''')
    doc = json.loads(pair[0].describe())
    assert [t["name"] for t in doc["tools"]] == ["w_forecast", "n_headline"]
    assert [t["uriTemplate"] for t in doc["resourceTemplates"]] == ["weather://w/{city}/now"]
    assert _texts(_call(pair, bindings, "w_forecast", {"city": "Oslo"})) == ["sun in Oslo"]
    (item,) = pair[0].read_resource(call_context(bindings[1]), "weather://w/Lima/now")
    assert item.uri == "weather://w/Lima/now" and item.body.value == "now in Lima"


def test_elicitation_results_and_loggers_import_as_in_the_guides(load_project, bindings):
    pair = load_project('''
from dataclasses import dataclass
from fastmcp import Context, FastMCP
from fastmcp.server.elicitation import AcceptedElicitation, DeclinedElicitation
from fastmcp.utilities.logging import get_logger
from mcp.server.fastmcp.utilities.logging import get_logger as sdk_logger

logger = get_logger(__name__)
assert logger.name.startswith("fastmcp.") and sdk_logger("x").name == "x"
mcp = FastMCP("e")

@dataclass
class Info:
    name: str

@mcp.tool
async def ask(ctx: Context) -> str:
    result: AcceptedElicitation[Info] = await ctx.elicit("Who?", Info)
    match result:
        case AcceptedElicitation(data=Info(name=name)):
            return f"hello {name}"
        case DeclinedElicitation():
            return "declined"
    return "other"
''')
    pair[1].elicit_response = ("accept", {"name": "Ann"})
    assert _texts(_call(pair, bindings, "ask")) == ["hello Ann"]
    pair[1].elicit_response = ("decline", None)
    assert _texts(_call(pair, bindings, "ask")) == ["declined"]


def test_get_tool_renamed_tools_and_unknown_tools_answer_as_natively(load_project, bindings):
    pair = load_project('''
from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware

class Guard(Middleware):
    async def on_call_tool(self, context, call_next):
        tool = await context.fastmcp_context.fastmcp.get_tool(context.message.name)
        if tool is not None and "internal" in tool.tags:
            raise ToolError(f"{tool.name} is internal")
        return await call_next(context)

units = FastMCP("units")

@units.tool
def convert(x: float) -> float:
    return x * 2

mcp = FastMCP("hub", middleware=[Guard()])
mcp.mount(units, tool_names={"convert": "double"})

@mcp.tool(tags={"internal"})
def reindex() -> str:
    return "done"
''')
    assert _texts(_call(pair, bindings, "reindex")) == ["reindex is internal"]
    assert _texts(_call(pair, bindings, "double", {"x": 2})) == ["4.0"]
    refused = _call(pair, bindings, "convert", {"x": 2})  # a renamed tool answers only to its new name
    assert refused.is_error and _texts(refused) == ["Unknown tool: 'convert'"]


@pytest.mark.parametrize("imports,make,text", [
    ("from fastmcp import FastMCP", "FastMCP('s')", "Unknown tool: 'nope'"),
    ("from mcp.server.fastmcp import FastMCP", "FastMCP('s')", "Unknown tool: nope"),
    ("from mcp.server.mcpserver import MCPServer", "MCPServer('s')", "Unknown tool: nope"),
])
def test_unknown_tools_are_error_results_worded_per_spelling(load_project, bindings, imports, make, text):
    pair = load_project(f"{imports}\nmcp = {make}\n")
    result = _call(pair, bindings, "nope")
    assert result.is_error and _texts(result) == [text]


@pytest.mark.parametrize("imports,make,legacy,modern", [
    ("from fastmcp import FastMCP", "FastMCP('s')",
     {"logging": {}, "prompts": {"listChanged": True}, "resources": {"subscribe": False, "listChanged": True},
      "tools": {"listChanged": True}},
     {"logging": {}, "prompts": {"listChanged": False}, "resources": {"subscribe": False, "listChanged": False},
      "tools": {"listChanged": False}, "extensions": {"io.modelcontextprotocol/ui": {}}}),
    ("from mcp.server.fastmcp import FastMCP", "FastMCP('s')",
     {"experimental": {}, "prompts": {"listChanged": False}, "resources": {"subscribe": False, "listChanged": False},
      "tools": {"listChanged": False}}, None),
    ("from mcp.server.mcpserver import MCPServer", "MCPServer('s')",
     {"prompts": {"listChanged": False}, "resources": {"subscribe": False, "listChanged": False},
      "tools": {"listChanged": False}},
     {"prompts": {"listChanged": True}, "resources": {"subscribe": True, "listChanged": True},
      "tools": {"listChanged": True}}),
])
def test_capabilities_are_described_as_each_spelling_advertises_them(load_project, imports, make, legacy, modern):
    modern = legacy if modern is None else modern  # the SDK 1.x speaks only the 2025 era
    plain = json.loads(load_project(f"{imports}\nmcp = {make}\n")[0].describe())
    assert plain["capabilities"] == {"legacy": legacy, "modern": modern}
    completing = json.loads(load_project(
        f"{imports}\nmcp = {make}\n\n@mcp.completion()\ndef complete(ref, argument, context):\n    return None\n"
    )[0].describe())
    assert completing["capabilities"] == {"legacy": {**legacy, "completions": {}},
                                          "modern": {**modern, "completions": {}}}
