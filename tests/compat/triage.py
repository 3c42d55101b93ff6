"""Groups the differences of a compatibility run by cause, and drafts expected-differences entries.

Usage: triage.py REPORT_JSON [--summary | --draft]

REPORT_JSON is the report tests/e2e/tests/compat.rs writes (`<target dir>/compat-report.json`).
`--summary` (the default) prints each cause with how many compared calls it affects and where;
`--draft` prints `differences:` entries for tests/compat/expected-differences.yml, one per differing
call (one for both modes when both differ for the same reasons), with the causes as the reason. The
causes are read from the answers themselves (which parts differ and how); review a draft before
committing it: a reason must say why, and a difference that is a bug stays listed until it is fixed.
"""

import json
import sys
from collections import defaultdict

STAMP = "io.modelcontextprotocol/serverInfo"


def walk(native, berth, path=""):
    """Every (path, native, berth) leaf that differs."""
    if isinstance(native, dict) and isinstance(berth, dict):
        for key in sorted(set(native) | set(berth), key=str):
            yield from walk(native.get(key, "<missing>"), berth.get(key, "<missing>"), f"{path}/{key}")
    elif isinstance(native, list) and isinstance(berth, list) and len(native) == len(berth):
        for i, (a, b) in enumerate(zip(native, berth)):
            yield from walk(a, b, f"{path}/{i}")
    elif native != berth:
        yield path, native, berth


def first_text(result):
    for block in (result or {}).get("content", []) or []:
        if block.get("type") == "text":
            return block.get("text", "")
    return ""


def short(text, n=70):
    text = str(text).replace("\n", " ")
    return text if len(text) <= n else text[:n] + "..."


def causes(call_id, native, berth):
    """The causes of one differing call, as short sentences."""
    out = []
    nres, bres = native.get("result"), berth.get("result")
    if "exception" in berth and "exception" not in native:
        return [f"the client fails on Berth's answer: {short(berth['exception'], 110)}"]
    if "exception" in native and "exception" not in berth:
        return [f"the client fails on the native answer: {short(native['exception'], 110)}"]
    if isinstance(nres, dict) and isinstance(bres, dict):
        nerr, berr = nres.get("isError"), bres.get("isError")
        if nerr is False and berr is True:
            return [f"the call fails on Berth: {short(first_text(bres), 110)}"]
        if nerr is True and berr is False:
            return [f"native fails ({short(first_text(nres), 60)}), Berth answers"]
    if isinstance(nres, dict) and nres.get("isError") and "error" in berth:
        kind = "wrong arguments" if "validation error" in first_text(nres) else "a failing call"
        return [f"{kind} answered with a JSON-RPC error ({short(berth['error'].get('message'), 60)}), not an isError result"]
    if "error" in native and "error" not in berth and not (isinstance(nres, dict) and nres.get("isError")):
        if isinstance(bres, dict) and bres.get("isError"):
            return [f"native answers a JSON-RPC error ({short(native['error'].get('message'), 60)}), Berth an isError result"]
    if isinstance(nres, dict) and not nres.get("isError") and "error" in berth:
        return [f"the call fails on Berth with a JSON-RPC error: {short(berth['error'].get('message'), 90)}"]
    if "error" in native and isinstance(bres, dict):
        return [f"native answers a JSON-RPC error ({short(native['error'].get('message'), 60)}), Berth a result"]
    seen = set()
    for path, a, b in walk(native, berth):
        if STAMP in path or (path.endswith("/_meta") and STAMP in json.dumps(a) + json.dumps(b)):
            reason = "2026-era results lack the serverInfo stamp in _meta"
        elif call_id.startswith("capabilities"):
            keys = sorted({p.split("/")[2] for p, _, _ in walk(native, berth) if p.count("/") > 1})
            reason = f"capabilities differ ({', '.join(keys)})"
        elif call_id.startswith("server-info"):
            reason = f"server identity differs ({path.rsplit('/', 1)[-1]})"
        elif "/inputSchema" in path:
            reason = "input schemas differ"
        elif "/outputSchema" in path:
            reason = "output schemas differ"
        elif path.endswith("/_meta") and ("fastmcp" in json.dumps(a) or "fastmcp" in json.dumps(b)):
            reason = "fastmcp's _meta (tags, wrap_result) differs"
        elif "/_meta" in path:
            reason = "_meta differs"
        elif path.endswith("/title") and "/tools/" in path:
            reason = "tool titles differ"
        elif path.startswith("/error"):
            reason = f"error {path.rsplit('/', 1)[-1]} differs"
        elif path.startswith("/notifications"):
            reason = "log or progress notifications differ"
        elif path.startswith("/result/isError") or path.startswith("/result/content") or path.startswith(
            "/result/structuredContent"
        ):
            if nres and nres.get("isError"):
                reason = "error texts differ"
            else:
                reason = "results differ"
        elif path.startswith("/result/contents"):
            reason = "resource contents differ"
        elif path.startswith("/result/completion"):
            reason = "completions differ"
        elif "/prompts/" in path or path.startswith("/result/messages") or path.startswith("/result/description"):
            reason = "prompt listing or messages differ"
        else:
            reason = f"{path} differs"
        if reason not in seen:
            seen.add(reason)
            out.append(reason)
    return out


def differing(report):
    """(server, call id, mode, causes) of every differing call, and failed builds."""
    for server in report:
        name = server["server"]
        if "build_failed" in server:
            yield name, "build", None, [build_line(server["build_failed"])]
            continue
        for call in server["calls"]:
            if not call["equal"]:
                yield name, call["id"], call["mode"], causes(call["id"], call["native"], call["berth"])


def build_line(log):
    for line in reversed(log.splitlines()):
        if "build failed:" in line:
            return "does not build: " + short(line.split("build failed:", 1)[1].strip(), 200)
    return "does not build"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    report = json.load(open(argv[1]))
    rows = list(differing(report))
    if "--draft" in argv:
        merged = defaultdict(list)
        for name, call, mode, why in rows:
            merged[(name, call)].append((mode, "; ".join(why)))
        print("differences:")
        for (name, call), items in merged.items():
            reasons = {r for _, r in items}
            modes = [m for m, _ in items]
            if len(items) == 2 and len(reasons) == 1:
                items = [(None, items[0][1])]
            elif call == "build":
                items = [(None, items[0][1])]
            del modes
            for mode, why in items:
                print(f"  - server: {name}")
                print(f"    call: {json.dumps(call)}")
                if mode:
                    print(f"    mode: {mode}")
                print(f"    reason: {json.dumps(why)}")
        return
    by_cause = defaultdict(lambda: [0, set()])
    for name, call, mode, why in rows:
        for cause in why:
            key = cause if not cause.startswith(("the call fails on Berth", "does not build")) else cause
            by_cause[key][0] += 1
            by_cause[key][1].add(name)
    for cause, (count, servers) in sorted(by_cause.items(), key=lambda kv: -kv[1][0]):
        print(f"{count:4d}  {cause}  [{', '.join(sorted(servers))}]")


if __name__ == "__main__":
    main(sys.argv)
