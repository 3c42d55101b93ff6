-- Private projects and their API keys. Mirrors ../postgres.
-- A private project's MCP endpoint answers only requests that carry one of its API keys.
ALTER TABLE projects ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));

-- API keys for a project's headless clients. Only the SHA-256 of a key is kept (lowercase hex); the key
-- is shown once, when it is made. `scopes` is a space-separated list (today only `mcp`).
CREATE TABLE project_api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX project_api_keys_project ON project_api_keys (project_id, created_at);
