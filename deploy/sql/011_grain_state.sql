-- Grain state written through Corral's group-commit store (Silo/Storage): jobs, quotas, users and workers,
-- the grains written on every step of every job. One row per (grain, state name); etag is the optimistic
-- concurrency version, payload the state in Orleans' binary format. Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_grain_state
(
    grain_id text NOT NULL,
    state_name text NOT NULL,
    etag bigint NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (grain_id, state_name)
);
