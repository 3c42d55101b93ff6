"""Berth's SDK must list and answer exactly as real fastmcp 4.1.2 does, for the corpus of signatures.

Real fastmcp runs in a subprocess without the SDK on its path (the SDK provides a ``fastmcp``
package of its own); its tools/list, resources, prompts and results are compared item by item.
"""

import base64
import importlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def _reference():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(HERE / "reference_fastmcp.py"), str(CORPUS), "signatures"],
                          capture_output=True, text=True, env=env, cwd=str(CORPUS))
    if proc.returncode != 0:
        pytest.fail(f"real fastmcp failed on the corpus (is fastmcp 4.1.2 installed?):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


REFERENCE = _reference()


@pytest.fixture(scope="module")
def corpus():
    sys.path.insert(0, str(CORPUS))
    try:
        sys.modules.pop("signatures", None)
        module = importlib.import_module("signatures")
        assert module.FastMCP.__module__ == "berth_sdk.server", "the corpus must import Berth's fastmcp here"
        yield module
    finally:
        sys.path.remove(str(CORPUS))


def _wire(value):
    """The SDK's blocks as MCP JSON (bytes in base64, no nulls)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


@pytest.mark.parametrize("expected", REFERENCE["tools"], ids=lambda t: t["name"])
def test_tool_listing_is_byte_identical(corpus, expected):
    mine = {t["name"]: t for t in corpus.mcp.describe()["tools"]}[expected["name"]]
    assert json.dumps(mine) == json.dumps(expected)


def test_same_tools_in_same_order(corpus):
    assert [t["name"] for t in corpus.mcp.describe()["tools"]] == [t["name"] for t in REFERENCE["tools"]]


@pytest.mark.parametrize("kind", ["resources", "resourceTemplates", "prompts"])
def test_other_listings_are_byte_identical(corpus, kind):
    assert json.dumps(corpus.mcp.describe()[kind]) == json.dumps(REFERENCE[kind])




@pytest.mark.parametrize("index", range(len(REFERENCE["calls"])))
def test_call_results_match(corpus, index):
    name, args = corpus.CALLS[index]
    blocks, structured, is_error = corpus.mcp.call_tool(name, args)
    expected = REFERENCE["calls"][index]
    assert {"content": _wire(blocks), "structuredContent": structured, "isError": is_error} == {
        "content": expected["content"], "structuredContent": expected.get("structuredContent"),
        "isError": expected["isError"]}, f"{name}({args})"


@pytest.mark.parametrize("index", range(len(REFERENCE["reads"])))
def test_resource_reads_match(corpus, index):
    assert _wire(corpus.mcp.read_resource(corpus.READS[index])) == REFERENCE["reads"][index]


@pytest.mark.parametrize("index", range(len(REFERENCE["renders"])))
def test_prompt_renders_match(corpus, index):
    name, args = corpus.PROMPTS[index]
    description, messages = corpus.mcp.get_prompt(name, args)
    expected = REFERENCE["renders"][index]
    assert {"description": description, "messages": _wire(messages)} == {
        "description": expected.get("description"), "messages": expected["messages"]}
