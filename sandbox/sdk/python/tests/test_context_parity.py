"""The Context must behave as real fastmcp 4.x's for the Context corpus (``tests/corpus/docs_context.py``):
each call's result and what it sent the client on the way (log messages, progress, elicitation requests).

Real fastmcp runs in a subprocess (``reference_context.py``) with a client whose handlers record those
messages and answer elicitations from the module's ``ELICIT_ANSWERS``; Berth's SDK runs in this process with
a host that records the same messages and gives the same answers, all calls in one MCP session.
"""

import importlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

from berth_sdk.runtime import LocalHost

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MODULES = ("docs_context",)


def _reference(module):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["FASTMCP_LOG_ENABLED"] = "false"
    proc = subprocess.run([sys.executable, str(HERE / "reference_context.py"), str(CORPUS), module],
                          capture_output=True, text=True, env=env, cwd=str(CORPUS))
    if proc.returncode != 0:
        pytest.fail(f"real fastmcp failed on the corpus (is fastmcp 4.x installed?):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)["calls"]


@pytest.fixture(scope="module")
def berth_calls():
    """Every call of each module run through Berth's SDK, with the messages the host was asked to send."""
    from berth_sdk import runtime

    sys.path.insert(0, str(CORPUS))
    saved_host, saved_call = runtime.host, runtime.current
    try:
        out = {}
        for module in MODULES:
            sys.modules.pop(module, None)
            corpus = importlib.import_module(module)
            assert corpus.FastMCP.__module__ == "berth_sdk.server", "the corpus must import Berth's fastmcp"
            runtime.host = host = RecordingHost(list(getattr(corpus, "ELICIT_ANSWERS", [])))
            records = []
            for number, (name, args) in enumerate(corpus.CALLS):
                runtime.current = runtime._Call(request_id=str(number + 1), session_id="session-1")
                host.events.clear()
                blocks, structured, is_error = corpus.mcp.call_tool(name, args)
                records.append({"content": blocks, "structuredContent": structured, "isError": is_error,
                                "events": list(host.events)})
            out[module] = records
        yield out
    finally:
        runtime.host, runtime.current = saved_host, saved_call
        sys.path.remove(str(CORPUS))


class RecordingHost(LocalHost):
    """``runtime.host`` for these tests: records what the server sends its client (log messages, progress,
    elicitation requests) and answers elicitations from a list, as the reference's client does."""

    def __init__(self, elicit_answers=()):
        super().__init__()
        self.events = []
        self.elicit_answers = list(elicit_answers)

    def log(self, level, logger, data_json):
        self.events.append(["log", level, logger, json.loads(data_json)])

    def progress(self, progress, total, message):
        self.events.append(["progress", progress, total, message])

    def elicit(self, message, schema_json):
        self.events.append(["elicit", message, json.loads(schema_json)])
        return self.elicit_answers.pop(0)


REFERENCES = {module: _reference(module) for module in MODULES}


@pytest.mark.parametrize("case", [(m, i) for m in MODULES for i in range(len(REFERENCES[m]))],
                         ids=lambda c: f"{c[0]}-{c[1]}")
def test_context_calls_match(berth_calls, case):
    module, index = case
    assert berth_calls[module][index] == REFERENCES[module][index]
