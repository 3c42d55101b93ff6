"""Nothing a server passes is silently ignored: each argument is supported, a notice in the build log, or a
``DefinitionError`` naming file, line, the argument and what to do instead. Imports of ``fastmcp.*`` and
``mcp.*`` modules Berth does not provide say so.
"""

import json
import os
import subprocess
import sys

import pytest

from berth_sdk import options
from berth_sdk.errors import DefinitionError

# The official SDK 1.x's FastMCP.__init__ keywords (mcp 1.x is not installed beside mcp 2.x).
MCP1_SERVER = ["name", "instructions", "website_url", "icons", "auth_server_provider", "token_verifier",
               "event_store", "retry_interval", "tools", "debug", "log_level", "host", "port", "mount_path",
               "sse_path", "message_path", "streamable_http_path", "json_response", "stateless_http",
               "warn_on_duplicate_resources", "warn_on_duplicate_tools", "warn_on_duplicate_prompts",
               "dependencies", "lifespan", "auth", "transport_security"]
MCP1_TOOL = ["name", "title", "description", "annotations", "icons", "meta", "structured_output"]

SIGNATURES = '''
import inspect, json
from fastmcp import FastMCP
from mcp.server.mcpserver import MCPServer
def names(f):
    return [p for p in inspect.signature(f).parameters if p not in ("self", "kwargs")]
print(json.dumps({k: names(getattr(FastMCP, a)) + names(getattr(MCPServer, a)) for k, a in
                  [("server", "__init__"), ("tool", "tool"), ("resource", "resource"), ("prompt", "prompt")]}))
'''


def _native_signatures():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", SIGNATURES], capture_output=True, text=True, env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("kind,supported,notices,errors", [
    ("server", options.SERVER_SUPPORTED, options.SERVER_NOTICES, options.SERVER_ERRORS),
    ("tool", options.TOOL_SUPPORTED, options.COMPONENT_NOTICES, options.COMPONENT_ERRORS),
    ("resource", options.RESOURCE_SUPPORTED, options.COMPONENT_NOTICES, options.COMPONENT_ERRORS),
    ("prompt", options.PROMPT_SUPPORTED, options.COMPONENT_NOTICES, options.COMPONENT_ERRORS),
])
def test_every_native_argument_has_a_decision(kind, supported, notices, errors):
    native = set(_native_signatures()[kind]) | set({"server": MCP1_SERVER, "tool": MCP1_TOOL}.get(kind, []))
    undecided = native - set(supported) - set(notices) - set(errors)
    assert not undecided, f"{kind} arguments with no decision: {sorted(undecided)}"
    assert not set(supported) & set(notices) and not set(supported) & set(errors)


HEADER = "from fastmcp import FastMCP\n"


@pytest.mark.parametrize("spelling", [
    "from fastmcp import FastMCP",
    "from mcp.server.fastmcp import FastMCP",
    "from mcp.server.mcpserver import MCPServer as FastMCP",
])
def test_unknown_constructor_argument_is_an_error(load_project, spelling):
    with pytest.raises(DefinitionError) as err:
        load_project(f"{spelling}\n\nmcp = FastMCP('x', lifespn=None)\n")
    message = str(err.value)
    assert ".py:3:" in message and "no argument 'lifespn'" in message and "check its spelling" in message


@pytest.mark.parametrize("argument,needle", [
    ("auth=object()", "'auth' is not supported in Berth: Berth authenticates clients itself"),
    ("providers=[]", "'providers' is not supported in Berth: add tools, resources and prompts with the decorators"),
    ("tool_serializer=str", "return a ToolResult"),
])
def test_unsupported_constructor_arguments_say_what_to_do(load_project, argument, needle):
    with pytest.raises(DefinitionError) as err:
        load_project(f"{HEADER}mcp = FastMCP('x', {argument})\n")
    assert ".py:2:" in str(err.value) and needle in str(err.value)


def test_transport_settings_are_one_notice_each(load_project, capsys):
    guest, _ = load_project("from mcp.server.fastmcp import FastMCP\n"
                            "mcp = FastMCP('x', host='0.0.0.0', port=9000, stateless_http=True, json_response=True)\n")
    assert json.loads(guest.describe())["name"] == "x"
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("berth: notice:")]
    assert len(lines) == 4
    assert all(".py:2: FastMCP()'s " in line and "is ignored: Berth serves the project" in line for line in lines)
    assert "host='0.0.0.0'" in lines[0] and "port=9000" in lines[1]
    notices = json.loads(guest.describe())["notices"]  # what the builder logs
    assert any(n.endswith(lines[0].split(".py:2: ", 1)[1]) for n in notices), notices


def test_a_session_state_store_is_a_notice(load_project, capsys):
    guest, _ = load_project(f"{HEADER}mcp = FastMCP('x', session_state_store={{}})\n")
    assert json.loads(guest.describe())["name"] == "x"
    err = capsys.readouterr().err
    assert "FastMCP()'s session_state_store={} is ignored: Berth keeps each session's ctx.set_state values" in err


def test_mcpserver_positional_arguments_follow_its_signature(load_project):
    guest, _ = load_project("from mcp.server.mcpserver import MCPServer\n"
                            "mcp = MCPServer('x', 'The X', 'Does x', 'Use it well')\n")
    doc = json.loads(guest.describe())
    assert (doc["title"], doc["description"], doc["instructions"]) == ("The X", "Does x", "Use it well")


@pytest.mark.parametrize("decorator,needle", [
    ("@mcp.tool(serializer=str)", "@mcp.tool's argument 'serializer' is not supported in Berth: return a ToolResult"),
    ("@mcp.tool(task=True)", "tool 'f' uses a sync function but has task execution enabled"),
    ("@mcp.tool(auth=None)", "per-component authorization"),
    ("@mcp.tool(nmae='t')", "@mcp.tool has no argument 'nmae'"),
    ("@mcp.prompt(argumnets=[])", "@mcp.prompt has no argument 'argumnets'"),
    ("@mcp.resource('data://x', mimetype='text/plain')", "@mcp.resource has no argument 'mimetype'"),
])
def test_unknown_decorator_arguments_are_errors(load_project, decorator, needle):
    with pytest.raises(DefinitionError) as err:
        load_project(f"{HEADER}mcp = FastMCP('x')\n\n{decorator}\ndef f() -> str:\n    return ''\n")
    assert ".py:4:" in str(err.value) and needle in str(err.value)


def test_run_in_thread_is_a_notice(load_project, capsys):
    load_project(f"{HEADER}mcp = FastMCP('x')\n@mcp.tool(run_in_thread=False)\ndef f() -> str:\n    return ''\n")
    assert "berth: notice: server_0.py:3: @mcp.tool's run_in_thread=False is ignored" in capsys.readouterr().err


def test_timeout_on_a_synchronous_tool_is_a_notice(load_project, capsys):
    load_project(f"{HEADER}mcp = FastMCP('x')\n@mcp.tool(timeout=1.0)\ndef f() -> str:\n    return ''\n")
    assert "server_0.py:3: tool 'f': timeout=1.0 on a synchronous function is checked when it returns" in \
        capsys.readouterr().err


@pytest.mark.parametrize("statement,module", [
    ("import fastmcp.client", "fastmcp.client"),
    ("from fastmcp.server.auth.providers.jwt import JWTVerifier", "fastmcp.server.auth"),
    ("from fastmcp import Client", "fastmcp.Client"),
    ("from mcp.server.lowlevel import Server", "mcp.server.lowlevel"),
    ("import mcp.no_such_thing", "mcp.no_such_thing"),
])
def test_missing_sdk_modules_say_berth_does_not_provide_them(load_project, statement, module):
    with pytest.raises(DefinitionError) as err:
        load_project(f"import json\n{statement}\n")
    message = str(err.value)
    assert f".py:2: Berth does not provide `{module}`" in message
    assert "No module named" not in message and "requirements.txt" not in message


def test_other_missing_modules_still_point_at_requirements(load_project):
    with pytest.raises(DefinitionError, match=r"\.py:1: importing it failed: no module named 'nothere'.*requirements"):
        load_project("import nothere\n")


def test_duplicate_names_follow_on_duplicate(load_project):
    source = ("from fastmcp import FastMCP\nmcp = FastMCP('x', on_duplicate='error')\n"
              "@mcp.tool\ndef a() -> str:\n    return ''\n@mcp.tool(name='a')\ndef b() -> str:\n    return ''\n")
    with pytest.raises(DefinitionError, match=r"\.py:6: a tool named 'a' is already registered"):
        load_project(source)


def test_run_http_apps_and_settings_are_notices(load_project, capsys):
    guest, _ = load_project(f"{HEADER}mcp = FastMCP('x')\nmcp.settings.port = 9000\napp = mcp.http_app()\n"
                            "mcp.run(transport='sse')\n")
    err = capsys.readouterr().err
    assert "server_0.py:3: mcp.settings.port = 9000 is ignored" in err
    assert "server_0.py:4: mcp.http_app() gives an app Berth never serves" in err
    assert "server_0.py:5: mcp.run(transport='sse') is ignored" in err
    with pytest.raises(DefinitionError, match=r"\.py:3: mcp.settings.colour cannot be set"):
        load_project(f"{HEADER}mcp = FastMCP('x')\nmcp.settings.colour = 'red'\n")


def test_missing_names_in_provided_modules_say_so(load_project):
    with pytest.raises(DefinitionError) as err:
        load_project("from fastmcp.server.dependencies import get_context, get_http_headers\n")
    assert "Berth does not provide `fastmcp.server.dependencies.get_http_headers`" in str(err.value)
    assert "does not pass the client's HTTP headers" in str(err.value)


def test_tasks_map_to_the_edge_task_support(load_project):
    guest, _ = load_project(
        "from fastmcp import FastMCP\nfrom fastmcp.utilities.tasks import TaskConfig\n"
        "mcp = FastMCP('t', tasks=True)\n"
        "@mcp.tool\nasync def by_default() -> str:\n    return ''\n"
        "@mcp.tool(task=TaskConfig(mode='required'), meta={'k': 1})\nasync def required() -> str:\n    return ''\n"
        "@mcp.tool(task=False)\nasync def plain() -> str:\n    return ''\n")
    metas = {t["name"]: t["_meta"] for t in json.loads(guest.describe())["tools"]}
    assert metas["by_default"] == {"dev.berth/taskSupport": "optional", "fastmcp": {"tags": []}}
    assert metas["required"] == {"k": 1, "dev.berth/taskSupport": "required", "fastmcp": {"tags": []}}
    assert metas["plain"] == {"fastmcp": {"tags": []}}


def test_probing_for_a_missing_module_finds_none(load_project):
    guest, _ = load_project("import importlib.util\nfrom fastmcp import FastMCP\n"
                            "HAS_CLIENT = importlib.util.find_spec('fastmcp.client') is not None\n"
                            "mcp = FastMCP('probe', instructions=str(HAS_CLIENT))\n")
    assert json.loads(guest.describe())["instructions"] == "False"
