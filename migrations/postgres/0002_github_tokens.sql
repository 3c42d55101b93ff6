-- GitHub access tokens of signed-in users, sealed (AES-256-GCM) by the control plane; keyed by the
-- GitHub account id, so sign-in can save one before the user row exists. Mirrors ../sqlite.
CREATE TABLE github_tokens (
    github_id   BIGINT PRIMARY KEY NOT NULL,
    sealed      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
