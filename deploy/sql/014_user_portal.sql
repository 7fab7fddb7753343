-- The portal role (job-orchestrator compatibility): a portal's token may submit jobs on POST /upload for any
-- user_id, creating that user on first use. Only an admin creates such a user. Safe to apply any number of times.
ALTER TABLE corral_users ADD COLUMN IF NOT EXISTS is_portal boolean NOT NULL DEFAULT false;
