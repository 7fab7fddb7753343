-- The job index: one row per job, written by the job grain in the same group commit as its state
-- (Storage/PostgresJobIndex). Lists read it (newest first, paged by (submitted_at, job_id)) without activating a
-- job grain, and the job reconciler reads the unfinished rows. It replaces the `active` column of
-- corral_grain_state and the table corral_user_jobs, so the grain store stores only bytes. Enum columns hold the
-- C# names (Queued, ExitCode, ...). Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_jobs
(
    job_id text PRIMARY KEY,
    user_name text NOT NULL,
    service text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason text,
    message text,
    exit_code integer,
    worker text,
    submitted_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    -- The job may still need waking after a crash (it has not ended and given back its slot and its room).
    unfinished boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Few indexes, none on what changes at every step (status, message, worker, times, updated_at): a job's
-- transitions then update its row in place (HOT, no index entries), with room left on each page for that.
-- Lists by user and by time read the first two; a filter on a status a job has before it ends (queued,
-- pending, starting, running) adds "AND unfinished" and reads the small partial index, as the reconciler does;
-- a filter on an end status reads the list index, where most rows match.
ALTER TABLE corral_jobs SET (fillfactor = 80);
CREATE INDEX IF NOT EXISTS corral_jobs_by_user ON corral_jobs (user_name, submitted_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS corral_jobs_by_time ON corral_jobs (submitted_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS corral_jobs_unfinished ON corral_jobs (user_name, submitted_at DESC, job_id DESC) WHERE unfinished;

-- From the earlier schema (011): a row for every job the old user index knew and whose state exists, marked
-- unfinished and long quiet, so the reconciler wakes each job once within a few minutes of the first silo
-- starting, and the job rewrites its row from its state (status, service, times). Until then such a row shows
-- as queued. Then the old index and the old flag go.
DO $$
BEGIN
    IF to_regclass('corral_user_jobs') IS NOT NULL THEN
        INSERT INTO corral_jobs (job_id, user_name, service, kind, status, submitted_at, unfinished, updated_at)
        SELECT u.job_id, u.user_name, '', 'Batch', 'Queued', now(), true, '-infinity'
        FROM corral_user_jobs u
        WHERE EXISTS (SELECT 1 FROM corral_grain_state g WHERE g.grain_id = 'job/' || u.job_id AND g.state_name = 'job')
        ON CONFLICT (job_id) DO NOTHING;
        DROP TABLE corral_user_jobs;
    END IF;
END
$$;

DROP INDEX IF EXISTS corral_grain_state_active;
ALTER TABLE corral_grain_state DROP COLUMN IF EXISTS active;
