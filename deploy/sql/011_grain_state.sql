-- Grain state written through Corral's group-commit store (Storage/): jobs, quotas, users and workers,
-- the grains written on every step of every job. One row per (grain, state name); etag is the optimistic
-- concurrency version, payload the state in Orleans' binary format. Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_grain_state
(
    grain_id text NOT NULL,
    state_name text NOT NULL,
    etag bigint NOT NULL,
    payload bytea NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_id, state_name)
);

-- The job index (which jobs, their status, which are unfinished) is corral_jobs, in 012_job_index.sql.
