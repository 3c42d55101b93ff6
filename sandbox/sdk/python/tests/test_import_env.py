"""A module whose top level reads the environment runs again with the project's environment.

At build time the module is imported with the build's environment; the project's comes with each
call. These tests load projects as the build does (``load_entry``) and call them as the host does.
"""

import builtins
import json

import pytest

from berth_sdk.errors import DefinitionError
from conftest import call_context

COUNTING = '''
import builtins
builtins.berth_test_imports[__name__] = builtins.berth_test_imports.get(__name__, 0) + 1
'''

READS_TOKEN = COUNTING + '''
import os
from fastmcp import FastMCP

TOKEN = os.environ.get("TOKEN", "none")
mcp = FastMCP("env-at-import")


@mcp.tool
def token() -> str:
    """The token the module read when it was imported."""
    return TOKEN
'''

READS_NOTHING = COUNTING + '''
import os
from fastmcp import FastMCP

mcp = FastMCP("no-env-at-import")


@mcp.tool
def token() -> str:
    """The token, read by the call."""
    return os.environ.get("TOKEN", "none")
'''


@pytest.fixture(autouse=True)
def import_counts(monkeypatch):
    counts = {}
    monkeypatch.setattr(builtins, "berth_test_imports", counts, raising=False)
    return counts


def call(guest, types, name):
    result = guest.call_tool(call_context(types), name, "{}")
    assert not result.is_error, result
    return result.content[0].value


def test_a_module_level_read_sees_the_projects_value_and_its_changes(load_project, bindings, import_counts):
    guest, host = load_project(READS_TOKEN)
    types = bindings[1]
    module = next(iter(import_counts))
    host.env = [("TOKEN", "t1")]
    assert call(guest, types, "token") == "t1"
    assert call(guest, types, "token") == "t1"
    assert import_counts[module] == 2, "run again once, not on every call"
    host.env = [("TOKEN", "t2"), ("OTHER", "x")]
    assert call(guest, types, "token") == "t2"
    host.env = [("TOKEN", "t2"), ("OTHER", "y")]
    assert call(guest, types, "token") == "t2"
    assert import_counts[module] == 3, "a variable the module did not read changes nothing"
    host.env = []
    assert call(guest, types, "token") == "none"


def test_a_module_that_reads_no_project_variable_is_never_run_again(load_project, bindings, import_counts):
    guest, host = load_project(READS_NOTHING)
    types = bindings[1]
    host.env = [("TOKEN", "t1")]
    assert call(guest, types, "token") == "t1"
    host.env = [("TOKEN", "t2")]
    assert call(guest, types, "token") == "t2"
    assert list(import_counts.values()) == [1]


def test_a_variable_read_at_import_that_the_project_does_not_set_changes_nothing(load_project, bindings,
                                                                                 import_counts):
    guest, host = load_project(READS_TOKEN)
    host.env = [("UNRELATED", "1")]
    assert call(guest, bindings[1], "token") == "none"
    assert list(import_counts.values()) == [1]


def test_the_projects_own_modules_run_again_and_the_new_server_serves(load_project, bindings, tmp_path,
                                                                      import_counts):
    (tmp_path / "settings_mod.py").write_text(COUNTING + '''
import os
BASE = os.environ.get("API_BASE", "http://unset")
''')
    guest, host = load_project('''
import settings_mod
from fastmcp import FastMCP

mcp = FastMCP("settings")


@mcp.tool
def base() -> str:
    """Where the API is."""
    return settings_mod.BASE
''')
    for source in tmp_path.glob("*.py"):  # a running server has no file system
        source.unlink()
    host.env = [("API_BASE", "https://api.example.com")]
    assert call(guest, bindings[1], "base") == "https://api.example.com"
    assert import_counts["settings_mod"] == 2
    assert json.loads(guest.describe())["tools"][0]["name"] == "base"


def test_a_module_that_reads_the_whole_environment_runs_again_when_it_changes(load_project, bindings,
                                                                             import_counts):
    guest, host = load_project(COUNTING + '''
import os
from fastmcp import FastMCP

SEEN = sorted(k for k in os.environ if k.startswith("APP_"))
mcp = FastMCP("listing")


@mcp.tool
def seen() -> str:
    """The APP_ variables the module saw."""
    return ",".join(SEEN)
''')
    types = bindings[1]
    host.env = []
    assert call(guest, types, "seen") == ""
    host.env = [("APP_A", "1"), ("APP_B", "2")]
    assert call(guest, types, "seen") == "APP_A,APP_B"
    assert list(import_counts.values()) == [2]


def test_a_variable_the_build_cannot_see_fails_the_build_saying_why(load_project):
    with pytest.raises(DefinitionError) as err:
        load_project('''
import os
from fastmcp import FastMCP

API_KEY = os.environ["BERTH_TEST_UNSET_KEY"]
mcp = FastMCP("strict")
''')
    message = str(err.value)
    assert "KeyError" in message and "BERTH_TEST_UNSET_KEY" in message, message
    assert "which the build does not set" in message and "os.environ.get('BERTH_TEST_UNSET_KEY', '')" in message
    assert message.startswith("server_"), message


def test_a_failing_run_with_the_projects_environment_is_the_calls_error(load_project, bindings):
    guest, host = load_project('''
import os
from fastmcp import FastMCP

LIMIT = int(os.environ.get("LIMIT", "10"))
mcp = FastMCP("limits")


@mcp.tool
def limit() -> int:
    """The limit."""
    return LIMIT
''')
    host.env = [("LIMIT", "ten")]
    import componentize_py_types

    with pytest.raises(componentize_py_types.Err) as err:
        guest.call_tool(call_context(bindings[1]), "limit", "{}")
    text = str(err.value.value.value)
    assert "running the module again with the project's environment failed" in text, text
    assert "invalid literal for int()" in text, text
    host.env = [("LIMIT", "12")]
    result = guest.call_tool(call_context(bindings[1]), "limit", "{}")
    assert result.content[0].value == "12"


def test_files_the_import_read_are_read_again_from_memory(load_project, bindings, tmp_path):
    # A running server has no file system: what the build's import read comes from memory.
    (tmp_path / "spec.json").write_text('{"title": "Items"}')
    (tmp_path / "banner.txt").write_text("héllo\n")
    guest, host = load_project('''
import json
import os
import pathlib
from fastmcp import FastMCP

HERE = pathlib.Path(__file__).parent
SPEC = json.load(open(HERE / "spec.json"))
BANNER = (HERE / "banner.txt").read_text(encoding="utf-8").strip()
RAW = open(HERE / "spec.json", "rb").read()
KEY = os.environ.get("KEY", "")
mcp = FastMCP("files")


@mcp.tool
def describe() -> str:
    """What the module read."""
    return f"{SPEC['title']}|{BANNER}|{len(RAW)}|{KEY}"
''')
    for kept in tmp_path.iterdir():
        kept.unlink()
    host.env = [("KEY", "k1")]
    assert call(guest, bindings[1], "describe") == "Items|héllo|18|k1"
