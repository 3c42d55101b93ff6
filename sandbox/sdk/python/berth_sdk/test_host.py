"""A host for running a server in plain Python that records what the server sends its client (log
messages, progress, elicitation requests) and answers elicitations from a list, as a test's client would.
Used by the SDK's parity tests; harmless elsewhere."""

import json

from berth_sdk.runtime import LocalHost


class RecordingHost(LocalHost):
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
