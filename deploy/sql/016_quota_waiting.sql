-- The jobs waiting for a quota slot: one row per waiting job, written by the quota grain (Grains/Quotas) in the
-- same group commit as its small state (holders, turns, the next arrival number), so an enqueue writes one row
-- however many wait (Storage/PostgresWaitingJobStore). quota_key is the grain's id (quota/<user>/<service> or
-- service-quota/<service>); a user's jobs leave by priority (higher first), then seq. Before this table the
-- whole queue was in the grain's state; a grain that finds one there moves it here when it activates.
-- Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_quota_waiting
(
    quota_key text NOT NULL,
    job_id text NOT NULL,
    user_name text NOT NULL,
    priority smallint NOT NULL,
    seq bigint NOT NULL,
    enqueued_at timestamptz NOT NULL,
    PRIMARY KEY (quota_key, job_id)
);

-- The job reconciler asks which of the unfinished jobs it found wait here (they are their quota's to admit).
CREATE INDEX IF NOT EXISTS corral_quota_waiting_job ON corral_quota_waiting (job_id);
