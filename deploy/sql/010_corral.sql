-- Corral's own tables. Safe to apply any number of times.

-- API users. Only a hash of each bearer token is stored.
CREATE TABLE IF NOT EXISTS corral_users
(
    name text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    is_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Small key/value settings, e.g. the hash of the generated admin token.
CREATE TABLE IF NOT EXISTS corral_settings
(
    key text PRIMARY KEY,
    value text NOT NULL
);

-- Job output: chunks of ANSI-stripped log bytes appended by host agents, read back in seq order.
-- bytea, not text: output may hold NUL bytes and invalid UTF-8, and the bytes stored must be exactly
-- the bytes counted against the log quota.
CREATE TABLE IF NOT EXISTS corral_job_logs
(
    job_id text NOT NULL,
    seq bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    content bytea NOT NULL,
    PRIMARY KEY (job_id, seq)
);
