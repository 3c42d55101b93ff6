"""The docs_* parity corpus again, through the ``guest`` export (the WIT adaptor and the real bindings, with a
recording host) rather than the server object: every call, read and render must still equal real fastmcp's,
once turned into MCP JSON as the edge sends it. What the guest contract cannot carry is left out of the
comparison: read contents' ``_meta`` (see the SDK README), and the code of an error fastmcp sends as -32001
(``ErrorHandlingMiddleware``'s "Not found"): the contract's ``not-found`` reaches the client as -32602 with the
same message."""

import json
import sys

import pytest

import test_fastmcp_parity as parity
from conftest import call_context, edge_error, wit_block, wit_contents

MODULES = [m for m in parity.MODULES if m.startswith("docs_")]


@pytest.fixture
def guests(bindings, fake_host, load_project, monkeypatch):
    """Each docs module loaded as the guest loads a project (``load_entry``), from the corpus folder."""
    import berth_sdk.guest as guest_module

    monkeypatch.syspath_prepend(str(parity.CORPUS))
    loaded = {}

    def get(module):
        if module not in loaded:
            sys.modules.pop(module, None)
            loaded[module] = guest_module.load_entry(module, "mcp")()
        return loaded[module]

    return get


def _call(guest, bindings, kind, item):
    import componentize_py_types

    _, types, wit_guest = bindings
    ctx = call_context(types)
    try:
        if kind == "calls":
            name, args = item
            r = guest.call_tool(ctx, name, json.dumps(args))
            out = {"content": [wit_block(b, types) for b in r.content], "isError": r.is_error}
            if r.structured_json is not None:
                out["structuredContent"] = json.loads(r.structured_json)
            return out
        if kind == "reads":
            return [wit_contents(c, types) for c in guest.read_resource(ctx, item)]
        name, args = item
        r = guest.get_prompt(ctx, name, [(k, v) for k, v in args.items()])
        out = {"messages": [{"role": "assistant" if m.role == wit_guest.Role.ASSISTANT else "user",
                             "content": wit_block(m.content, types)} for m in r.messages]}
        if r.description is not None:
            out["description"] = r.description
        return out
    except componentize_py_types.Err as err:
        method = {"calls": "tools/call", "reads": "resources/read", "renders": "prompts/get"}[kind]
        return {"error": edge_error(method, err.value, types)}


def _expected(kind, answer):
    if "error" in answer:
        code = answer["error"]["code"]
        return {"error": {**answer["error"], "code": -32602 if code == -32001 else code}}
    if kind == "calls":
        return {k: v for k, v in answer.items() if k in ("content", "structuredContent", "isError") and v is not None}
    if kind == "reads":
        return [{k: v for k, v in c.items() if k != "_meta"} for c in answer]
    return {k: v for k, v in answer.items() if k in ("messages", "description")}


ITEMS = {"calls": "CALLS", "reads": "READS", "renders": "PROMPTS"}


@pytest.mark.parametrize("module", MODULES)
def test_guest_answers_as_fastmcp(guests, bindings, module):
    """Every call, then every read, then every render of the module in order (some corpus servers keep state
    between calls, as real fastmcp's reference run does); each answer compared with fastmcp's."""
    guest = guests(module)
    differences = []
    for kind, attribute in ITEMS.items():
        for index, item in enumerate(getattr(sys.modules[module], attribute, [])):
            got = _call(guest, bindings, kind, item)
            expected = _expected(kind, parity.REFERENCES[module][kind][index])
            if got != expected:
                differences.append((kind, item, got, expected))
    assert not differences, differences[:3]
