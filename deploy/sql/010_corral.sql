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

-- Job output: chunks of ANSI-stripped log text appended by host agents,
-- read back in seq order.
CREATE TABLE IF NOT EXISTS corral_job_logs
(
    job_id text NOT NULL,
    seq bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    content text NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- Append-only history of job status transitions.
CREATE TABLE IF NOT EXISTS corral_job_events
(
    id bigserial PRIMARY KEY,
    job_id text NOT NULL,
    user_name text NOT NULL,
    service text NOT NULL,
    status text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS corral_job_events_user_service_at_idx
    ON corral_job_events (user_name, service, at);

-- Idempotency keys for job submission: (user, key) -> job.
CREATE TABLE IF NOT EXISTS corral_idempotency
(
    user_name text NOT NULL,
    key text NOT NULL,
    job_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_name, key)
);
