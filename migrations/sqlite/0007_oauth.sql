-- Berth's OAuth 2.1 authorization server, for MCP clients of private projects. Mirrors ../postgres.
-- Everything it must remember lives here, so a restart or a second process loses no sign-in. Codes and
-- refresh tokens are kept only by their SHA-256 (lowercase hex); signing keys' private halves are sealed
-- with the secret keyring, as projects' secrets are.

-- Clients that registered: added by the operator (`registered`, for a client that needs a fixed id) or
-- through dynamic client registration (`dynamic`, RFC 7591). Clients known by a Client ID Metadata
-- Document (an https client_id) are not stored: their document is fetched and cached.
CREATE TABLE oauth_clients (
    id                TEXT PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('registered', 'dynamic')),
    name              TEXT NOT NULL,
    redirect_uris     TEXT NOT NULL,
    application_type  TEXT NOT NULL CHECK (application_type IN ('web', 'native')),
    secret_hash       TEXT,
    metadata_json     TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX oauth_clients_kind ON oauth_clients (kind, created_at);

-- A user's consent to one client for one project: remembered, so the next authorization asks no more,
-- and revocable (which ends its codes and refresh tokens).
CREATE TABLE oauth_grants (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    client_name   TEXT NOT NULL,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    UNIQUE (user_id, client_id, project_id)
);
CREATE INDEX oauth_grants_project ON oauth_grants (project_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

-- Authorization codes: single use. `used_at` is set when one is exchanged; one presented again revokes
-- the refresh tokens issued from it (their `family` is the code's hash).
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY NOT NULL,
    grant_id        TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- Refresh tokens, rotated on every use: `used_at` marks one that was exchanged; presenting it again
-- revokes its whole family (every token descended from the same code).
CREATE TABLE oauth_refresh_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    grant_id    TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    family      TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    resource    TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

-- Keys that sign access tokens (JWTs). The private key is sealed; the public one is a JWK, published
-- at /oauth/jwks while tokens it signed may still be presented.
CREATE TABLE oauth_signing_keys (
    kid             TEXT PRIMARY KEY NOT NULL,
    alg             TEXT NOT NULL,
    private_sealed  TEXT NOT NULL,
    public_jwk      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Who besides its owner may authorize clients for a project: a JSON rule, {"anyoneSignedIn": bool,
-- "users": [GitHub logins]}. No row: the owner only.
CREATE TABLE project_oauth_access (
    project_id  TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rule_json   TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
