"""Servers written with the official SDK's spellings answer through Berth's guest export as the real SDK
answers them: every tool as listed (input and output schemas included), and every tool call, resource read and
prompt render of their calls.json, error texts and codes included. The servers are the compatibility corpus's
(tests/compat/servers/sdk1_* and sdk2_*) and this corpus's (corpus/sdk1_*, sdk2_*: signatures and failures
each SDK version shapes its own way).

The real SDK runs each server in a subprocess (``reference_official.py``): the SDK 1.x from the compat venv
(``compat-mcp1``), the SDK 2.x from this interpreter's. Berth's side is the ``guest`` export through the real
bindings; its errors are turned into JSON-RPC errors as the edge turns them (``services/edge/src/wire.rs``).
One difference is by contract: the SDK 1.x (and 2.x on 2025 sessions) answers a failed read or render with
code 0, which the guest contract cannot carry, so Berth's code there is -32603 with the same message.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import REPO, call_context, edge_error, wit_block, wit_contents

HERE = pathlib.Path(__file__).resolve().parent
SERVER_DIRS = {p.name: p for root in (REPO / "tests" / "compat" / "servers", HERE / "corpus")
               for p in sorted(root.iterdir()) if p.name.startswith(("sdk1_", "sdk2_"))}
SERVERS = sorted(SERVER_DIRS)
TOOLS = pathlib.Path(os.environ.get("BERTH_TOOLS") or pathlib.Path.home() / ".cache" / "berth-tools")
PYTHONS = {"sdk1": TOOLS / "compat-mcp1" / "bin" / "python", "sdk2": pathlib.Path(sys.executable)}
ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+>")  # default reprs differ by process
LOADED_AS = re.compile(r"<server_\d+\.")  # load_project imports server.py as server_<n>


def _reference(server):
    python = PYTHONS[server.split("_")[0]]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(python), str(HERE / "reference_official.py"), str(SERVER_DIRS[server])],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        pytest.fail(f"the real SDK ({python}) failed on {server}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


REFERENCES = {server: _reference(server) for server in SERVERS}


@pytest.fixture
def berth(load_project):
    """Loads a server of the corpus as Berth's guest (a fresh module, so its state starts anew)."""

    def load(server):
        source = (SERVER_DIRS[server] / "server.py").read_text()
        return load_project(source)[0]

    return load


def _answer(guest, call, bindings):
    import componentize_py_types

    _, types, wit_guest = bindings
    ctx = call_context(types)
    method = call["method"]
    try:
        if method == "tools/call":
            r = guest.call_tool(ctx, call["name"], json.dumps(call.get("arguments") or {}))
            out = {"content": [wit_block(b, types) for b in r.content]}
            if r.structured_json is not None:
                out["structuredContent"] = json.loads(r.structured_json)
            out["isError"] = r.is_error
            return {"result": out}
        if method == "resources/read":
            return {"result": {"contents": [wit_contents(c, types) for c in guest.read_resource(ctx, call["uri"])]}}
        if method == "completion/complete":
            ref = call["ref"]
            target = wit_guest.CompletionRef_Prompt(ref["name"]) if ref["type"] == "ref/prompt" else \
                wit_guest.CompletionRef_ResourceTemplate(ref["uri"])
            c = guest.complete(ctx, target, call["argument"]["name"], call["argument"]["value"],
                               list((call.get("context") or {}).items()))
            out = {"values": c.values}
            if c.total is not None:
                out["total"] = c.total
            if c.has_more:  # the edge says hasMore only when true (wire.rs)
                out["hasMore"] = True
            return {"result": out}
        r = guest.get_prompt(ctx, call["name"], [(k, v) for k, v in (call.get("arguments") or {}).items()])
        messages = [{"role": "assistant" if m.role == wit_guest.Role.ASSISTANT else "user", "content": wit_block(m.content, types)}
                    for m in r.messages]
        return {"result": {**({"description": r.description} if r.description is not None else {}),
                           "messages": messages}}
    except componentize_py_types.Err as err:
        return {"error": edge_error(method, err.value, types)}


def _native(outcome):
    """What the native answer must be on Berth: results as they are (without what the edge adds on 2026-07-28
    sessions: the server stamp, resultType, ttlMs, cacheScope), a code 0
    error as -32603 with its message."""
    if "error" in outcome:
        code = outcome["error"]["code"]
        return {"error": {"code": -32603 if code == 0 else code, "message": outcome["error"]["message"]}}
    result = {k: v for k, v in outcome["result"].items() if k not in ("_meta", "resultType", "ttlMs", "cacheScope")
              and not (k == "hasMore" and v is False)}  # the edge says hasMore only when true
    return {"result": json.loads(ADDRESS.sub(" object at <address>>", json.dumps(result)))}


@pytest.mark.parametrize("server", SERVERS)
def test_tools_list_as_the_sdk_lists_them(server, berth):
    listed = json.loads(berth(server).describe())["tools"]
    mine = {t["name"]: {k: v for k, v in t.items() if k != "_meta"} for t in listed}
    native = {t["name"]: {k: v for k, v in t.items() if k != "_meta"} for t in REFERENCES[server]["tools"]}
    assert mine == native


@pytest.mark.parametrize("server", SERVERS)
def test_calls_answer_as_the_sdk_answers(server, berth, bindings):
    guest = berth(server)
    calls = [c for c in json.loads((SERVER_DIRS[server] / "calls.json").read_text())["calls"]
             if c["method"] in ("tools/call", "resources/read", "prompts/get", "completion/complete")]
    assert len(calls) == len(REFERENCES[server]["calls"])
    for call, expected in zip(calls, REFERENCES[server]["calls"]):
        got = json.dumps(_answer(guest, call, bindings))
        got = json.loads(LOADED_AS.sub("<server.", ADDRESS.sub(" object at <address>>", got)))
        assert got == _native(expected), expected["id"]
