-- Berth's schema on PostgreSQL. Mirrors ../sqlite/0001_initial.sql; keep the two in step.
-- Timestamps are unix milliseconds. Booleans are BOOLEAN.

CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    github_id   BIGINT UNIQUE,
    login       TEXT NOT NULL UNIQUE,
    name        TEXT,
    avatar_url  TEXT,
    created_at  BIGINT NOT NULL
);

-- Only the SHA-256 of a token is kept; the plaintext is shown once, when it is made.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE projects (
    id           TEXT PRIMARY KEY NOT NULL,
    slug         TEXT NOT NULL UNIQUE,
    owner_id     TEXT NOT NULL REFERENCES users (id),
    repo         TEXT,
    branch       TEXT NOT NULL,
    entry        TEXT NOT NULL,
    limits_json  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    -- Bumped by every change to the project or to which deployment is live; also serializes promotions.
    updated_at   BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id);
CREATE INDEX projects_repo ON projects (lower(repo));

-- A deployment's target is production (pr = 0) or the preview of pull request `pr`.
CREATE TABLE deployments (
    id                TEXT PRIMARY KEY NOT NULL,
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    target            TEXT NOT NULL CHECK (target IN ('production', 'preview')),
    pr                BIGINT NOT NULL DEFAULT 0,
    source_kind       TEXT NOT NULL,
    source_commit     TEXT,
    source_branch     TEXT,
    source_author     TEXT,
    source_message    TEXT,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'building', 'ready', 'failed', 'superseded')),
    live              BOOLEAN NOT NULL DEFAULT FALSE,
    artifact          TEXT,
    description_json  TEXT,
    error             TEXT,
    -- Lines in the build log so far: the last line's seq.
    log_lines         BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT,
    CHECK ((target = 'production' AND pr = 0) OR (target = 'preview' AND pr > 0)),
    CHECK (NOT live OR status = 'ready')
);
CREATE INDEX deployments_project ON deployments (project_id, created_at);
-- At most one live deployment per target.
CREATE UNIQUE INDEX deployments_live ON deployments (project_id, target, pr) WHERE live;
CREATE INDEX deployments_unfinished ON deployments (created_at) WHERE status IN ('queued', 'building');

CREATE TABLE deployment_logs (
    deployment_id  TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,
    line           TEXT NOT NULL,
    PRIMARY KEY (deployment_id, seq)
);

CREATE TABLE env_vars (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('all', 'production', 'preview')),
    value       TEXT NOT NULL,
    secret      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, key, scope)
);

-- GitHub webhook delivery ids already handled, so a redelivery is not acted on twice.
CREATE TABLE webhook_deliveries (
    delivery_id  TEXT PRIMARY KEY NOT NULL,
    received_at  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
