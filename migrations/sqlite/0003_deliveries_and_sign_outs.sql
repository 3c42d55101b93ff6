-- A webhook delivery is claimed while it is handled and counts as handled only once `handled_at` is
-- set, so GitHub's "redeliver" of a delivery that failed is acted on. Rows from before were handled.
-- Mirrors ../postgres.
ALTER TABLE webhook_deliveries ADD COLUMN handled_at INTEGER;
UPDATE webhook_deliveries SET handled_at = received_at;

-- Browser sessions signed out before they expired, by the SHA-256 of their nonce, so that signing out
-- holds across restarts and across control-plane processes. Rows are dropped once the session would
-- have expired anyway.
CREATE TABLE signed_out_sessions (
    nonce_hash  TEXT PRIMARY KEY NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX signed_out_sessions_expires ON signed_out_sessions (expires_at);
