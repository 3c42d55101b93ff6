-- Runtime logs: what each deployment did (requests, guest log messages and output, egress), written in
-- batches by the runtime log's writer and deleted past the operator's retention period. `seq` is the
-- event's number (time-based, increasing across restarts); the filter columns mirror the event, whose
-- kind-specific fields are in `detail` (JSON). Already redacted and bounded when written.
-- Mirrors ../sqlite.
CREATE TABLE runtime_events (
    seq            BIGINT PRIMARY KEY NOT NULL,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id  TEXT NOT NULL,
    at             BIGINT NOT NULL,
    level          BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    tool           TEXT,
    is_error       BOOLEAN NOT NULL,
    detail         TEXT NOT NULL
);
CREATE INDEX runtime_events_project ON runtime_events (project_id, seq);
CREATE INDEX runtime_events_at ON runtime_events (at);
