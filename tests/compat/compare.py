"""Compares one corpus server served natively with the same server served by Berth.

Usage: compare.py NATIVE_URL BERTH_URL CALLS_JSON [--modes legacy,auto] [--name NAME]

Both URLs are Streamable HTTP MCP endpoints. For each connect mode of the official Python `mcp`
client (`legacy`: the 2025 initialize handshake; `auto`: the `server/discover` probe, 2026-07-28 when
the server speaks it) it opens one session per side and runs, in order, on both: the server's
identity (`server-info`: name, title, version, website URL, icons, description, instructions), its
`capabilities`, `tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`, then every
call of CALLS_JSON. A call is `{"method": ..., ...}` with an optional unique `"id"` (else it is named by
its method and target, e.g. `tools/call add`, with ` (2)` for a repeat):

  {"method": "tools/call", "name": "add", "arguments": {"a": 1}}
  {"method": "resources/read", "uri": "notes://1"}
  {"method": "prompts/get", "name": "review", "arguments": {"code": "x"}}
  {"method": "completion/complete", "ref": {"type": "ref/prompt", "name": "review"},
   "argument": {"name": "language", "value": "py"}, "context": {"other": "value"}}

What a call got is its result (log and progress notifications the server sent during it included),
or the error it was answered with. Results are compared after normalising only what legitimately
differs between two servers of the same code: the order of list entries (the protocol does not define
it), the implementation's own version in `serverInfo` when the server sets none (CALLS_JSON's
top-level `"version"` names the one it sets), the two base URLs in exception texts, and memory addresses
in default object reprs (`<x.Y object at 0x7f...>`). Nothing else is touched: a different error text is
a difference.

Prints one JSON object: {"server", "equal", "total", "calls": [{"id", "mode", "equal", "diff"?,
"native"?, "berth"?}]}; the values are included only for calls that differ.
"""

import asyncio
import json
import re
import sys

from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference, ResourceTemplateReference

LISTS = ["tools/list", "resources/list", "resources/templates/list", "prompts/list"]
SORT_KEYS = {"tools": "name", "prompts": "name", "resources": "uri", "resourceTemplates": "uriTemplate"}
MAX_DIFFS = 12
# The default repr of an object names its memory address, which differs from one process to the next.
ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+>")
CALL_TIMEOUT = 30


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def call_ids(calls):
    """Each call's id: its "id", else its method and target; a repeated id gets " (2)", " (3)", ..."""
    ids, seen = [], {}
    for call in calls:
        ref = call.get("ref") or {}
        target = call.get("name") or call.get("uri") or ref.get("name") or ref.get("uri")
        base = call.get("id") or (f"{call['method']} {target}" if target else call["method"])
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return ids


async def run_call(client, call, notes):
    method = call["method"]
    if method == "server-info":
        info = client.server_info
        out = dump(info) if info is not None else None
        return {"serverInfo": out, "instructions": client.instructions}
    if method == "capabilities":
        return dump(client.server_capabilities)
    if method == "tools/list":
        return dump(await client.list_tools())
    if method == "resources/list":
        return dump(await client.list_resources())
    if method == "resources/templates/list":
        return dump(await client.list_resource_templates())
    if method == "prompts/list":
        return dump(await client.list_prompts())
    if method == "tools/call":

        async def progress(value, total, message):
            notes.append({"progress": value, "total": total, "message": message})

        result = await client.call_tool(
            call["name"], call.get("arguments"), read_timeout_seconds=CALL_TIMEOUT, progress_callback=progress
        )
        return dump(result)
    if method == "resources/read":
        return dump(await client.read_resource(call["uri"]))
    if method == "prompts/get":
        return dump(await client.get_prompt(call["name"], call.get("arguments")))
    if method == "completion/complete":
        ref = call["ref"]
        if ref["type"] == "ref/prompt":
            reference = PromptReference(type="ref/prompt", name=ref["name"])
        else:
            reference = ResourceTemplateReference(type="ref/resource", uri=ref["uri"])
        return dump(await client.complete(reference, call["argument"], call.get("context")))
    raise ValueError(f"unknown method {method!r} in the calls file")


async def run_side(url, mode, calls):
    """Every call's outcome on one server in one session, in order."""
    outcomes = []
    notes = []

    async def on_log(params):
        notes.append({"log": params.level, "logger": params.logger, "data": params.data})

    try:
        async with Client(url, mode=mode, cache=None, logging_callback=on_log, log_level="debug") as client:
            for call in calls:
                notes.clear()
                try:
                    outcome = {"result": await asyncio.wait_for(run_call(client, call, notes), CALL_TIMEOUT)}
                except MCPError as err:
                    outcome = {"error": {"code": err.code, "message": err.message}}
                except Exception as err:  # noqa: BLE001  (the difference is what we report)
                    outcome = {"exception": f"{type(err).__name__}: {err}"}
                if notes:
                    outcome["notifications"] = list(notes)
                outcomes.append(outcome)
    except BaseException as err:  # noqa: BLE001  (a session that cannot open fails every call left)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        message = f"session failed: {type(err).__name__}: {describe(err)}"
        outcomes.extend({"exception": message} for _ in range(len(calls) - len(outcomes)))
    return outcomes


def describe(err):
    """The innermost messages of an exception group (anyio wraps transport errors in them)."""
    inner = getattr(err, "exceptions", None)
    if inner:
        return "; ".join(f"{type(e).__name__}: {describe(e)}" for e in inner)
    return str(err)


def normalise(value, version, urls):
    if isinstance(value, dict):
        out = {k: normalise(v, version, urls) for k, v in value.items()}
        for key, field in SORT_KEYS.items():
            if isinstance(out.get(key), list):
                out[key] = sorted(out[key], key=lambda item: str(item.get(field)) if isinstance(item, dict) else "")
        for key, info in out.items():
            if key.endswith("serverInfo") and isinstance(info, dict) and "version" in info and version is None:
                info["version"] = "<implementation version>"
        return out
    if isinstance(value, list):
        return [normalise(v, version, urls) for v in value]
    if isinstance(value, str):
        for url in urls:
            value = value.replace(url, "<URL>")
        return ADDRESS.sub(" object at <address>>", value)
    return value


def diff(native, berth, path="", out=None):
    out = [] if out is None else out
    if len(out) >= MAX_DIFFS:
        return out
    if isinstance(native, dict) and isinstance(berth, dict):
        for key in sorted(set(native) | set(berth), key=str):
            if key not in berth:
                out.append({"path": f"{path}/{key}", "native": native[key], "berth": "<missing>"})
            elif key not in native:
                out.append({"path": f"{path}/{key}", "native": "<missing>", "berth": berth[key]})
            else:
                diff(native[key], berth[key], f"{path}/{key}", out)
    elif isinstance(native, list) and isinstance(berth, list) and len(native) == len(berth):
        for i, (a, b) in enumerate(zip(native, berth)):
            diff(a, b, f"{path}/{i}", out)
    elif native != berth:
        out.append({"path": path or "/", "native": native, "berth": berth})
    return out[:MAX_DIFFS]


async def compare(native_url, berth_url, spec, modes, name):
    calls = [{"method": "server-info"}, {"method": "capabilities"}] + [{"method": m} for m in LISTS]
    calls += spec.get("calls", [])
    ids = call_ids(calls)
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{name}: call ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    version = spec.get("version")
    urls = [native_url, berth_url]
    report = []
    for mode in modes:
        native, berth = await asyncio.gather(run_side(native_url, mode, calls), run_side(berth_url, mode, calls))
        for cid, a, b in zip(ids, native, berth):
            a, b = normalise(a, version, urls), normalise(b, version, urls)
            entry = {"id": cid, "mode": mode, "equal": a == b}
            if a != b:
                entry.update(diff=diff(a, b), native=a, berth=b)
            report.append(entry)
    equal = sum(1 for e in report if e["equal"])
    return {"server": name, "equal": equal, "total": len(report), "calls": report}


def main(argv):
    args = argv[1:]
    modes, name = ["legacy", "auto"], None
    if "--modes" in args:
        i = args.index("--modes")
        modes = args[i + 1].split(",")
        del args[i : i + 2]
    if "--name" in args:
        i = args.index("--name")
        name = args[i + 1]
        del args[i : i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    native_url, berth_url, calls_path = args
    with open(calls_path) as f:
        spec = json.load(f)
    report = asyncio.run(compare(native_url, berth_url, spec, modes, name or calls_path))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
