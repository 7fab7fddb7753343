-- Grain state written through Corral's group-commit store (Silo/Storage): jobs, quotas, users and workers,
-- the grains written on every step of every job. One row per (grain, state name); etag is the optimistic
-- concurrency version, payload the state in Orleans' binary format. Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_grain_state
(
    grain_id text NOT NULL,
    state_name text NOT NULL,
    etag bigint NOT NULL,
    payload bytea NOT NULL,
    -- The state says its grain has unfinished work (a job that has not ended and given back its slot): the
    -- job reconciler wakes such grains after a crash, in place of a reminder per grain.
    active boolean NOT NULL DEFAULT false,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_id, state_name)
);

CREATE INDEX IF NOT EXISTS corral_grain_state_active ON corral_grain_state (state_name, grain_id) WHERE active;

-- Which jobs each user submitted, in order: one small row per job, inserted in the same group commits as the
-- job's state, instead of one list in the user's grain state rewritten (whole) on every submission.
CREATE TABLE IF NOT EXISTS corral_user_jobs
(
    user_name text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    job_id text NOT NULL,
    PRIMARY KEY (user_name, seq),
    UNIQUE (user_name, job_id)
);
