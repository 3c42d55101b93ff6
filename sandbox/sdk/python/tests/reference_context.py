"""Prints real fastmcp's results for a Context corpus module, with what each call sent the client.

For every call of ``CALLS``: its result and its events, in order: ``["log", level, logger, data]``,
``["progress", progress, total, message]`` and ``["elicit", message, requestedSchema]``; elicitations are
answered from the module's ``ELICIT_ANSWERS`` in order. Run with the real fastmcp importable and Berth's SDK
*not* on sys.path: ``python reference_context.py <corpus dir> <module>``.
"""

import asyncio
import importlib
import json
import sys


async def main(module_name):
    from fastmcp import Client
    from mcp.types import ElicitResult

    corpus = importlib.import_module(module_name)
    answers = list(getattr(corpus, "ELICIT_ANSWERS", []))
    events = []

    async def on_log(message):
        events.append(["log", message.level, message.logger, message.data])

    async def on_progress(progress, total, message):
        events.append(["progress", progress, total, message])

    async def on_elicit(message, response_type, params, context):
        events.append(["elicit", message, params.requested_schema])
        action, content = answers.pop(0)
        return ElicitResult(action=action, content=content)

    out = {"calls": []}
    async with Client(corpus.mcp, log_handler=on_log, progress_handler=on_progress,
                      elicitation_handler=on_elicit, mode="legacy") as client:
        await client.set_logging_level("debug")
        for name, args in corpus.CALLS:
            events.clear()
            result = await client.call_tool_mcp(name, args)
            dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
            record = {k: dumped.get(k) for k in ("content", "structuredContent", "isError")}
            record["events"] = list(events)
            out["calls"].append(record)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    asyncio.run(main(sys.argv[2]))
