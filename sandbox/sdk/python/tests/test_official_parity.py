"""The official SDK 2.x spelling (``MCPServer``) answers as the real ``mcp`` 2.x does: listings (JSON Schemas
included), call results, reads and renders of ``corpus/official.py`` compared with the real SDK run in a
subprocess.
"""

import importlib
import json
import os
import subprocess
import sys

import pytest

from test_fastmcp_parity import CORPUS, HERE, _wire


def _reference():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(HERE / "reference_mcpserver.py"), str(CORPUS), "official"],
                          capture_output=True, text=True, env=env, cwd=str(CORPUS))
    if proc.returncode != 0:
        pytest.fail(f"the real mcp SDK failed on the corpus (is mcp 2.x installed?):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


REFERENCE = _reference()


@pytest.fixture(scope="module")
def official():
    sys.path.insert(0, str(CORPUS))
    try:
        sys.modules.pop("official", None)
        module = importlib.import_module("official")
        assert module.MCPServer.__module__ == "berth_sdk.flavours", "the corpus must import Berth's mcp"
        yield module
    finally:
        sys.path.remove(str(CORPUS))


@pytest.mark.parametrize("index", range(len(REFERENCE["calls"])))
def test_call_results_match(official, index):
    name, args = official.CALLS[index]
    blocks, structured, is_error = official.mcp.call_tool(name, args)
    expected = REFERENCE["calls"][index]
    assert {"content": _wire(blocks), "structuredContent": structured, "isError": is_error} == {
        "content": expected["content"], "structuredContent": expected.get("structuredContent"),
        "isError": expected["isError"]}, f"{name}({args})"


@pytest.mark.parametrize("index", range(len(REFERENCE["reads"])))
def test_resource_reads_match(official, index):
    from berth_sdk.errors import ReportedError

    expected = REFERENCE["reads"][index]
    if isinstance(expected, dict):  # the real SDK answered with an error
        with pytest.raises(ReportedError) as err:
            official.mcp.read_resource(official.READS[index])
        assert str(err.value) == expected["error"]
    else:
        assert _wire(official.mcp.read_resource(official.READS[index])) == expected


@pytest.mark.parametrize("index", range(len(REFERENCE["renders"])))
def test_prompt_renders_match(official, index):
    name, args = official.PROMPTS[index]
    description, messages = official.mcp.get_prompt(name, args)
    expected = REFERENCE["renders"][index]
    assert {"description": description, "messages": _wire(messages)} == expected


def test_listings_match(official):
    mine = official.mcp.describe()
    assert mine["tools"] == REFERENCE["tools"]
    for kind in ("resources", "resourceTemplates", "prompts"):
        assert mine[kind] == REFERENCE[kind], kind
