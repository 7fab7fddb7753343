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

-- Where each chunk ends in the job's output file (the byte offset just after its last byte) and the ANSI
-- stripper's state there, written in the same row as the chunk: a restarted host agent reads on from the last
-- row's offset with that state, so no byte is lost or stored twice. NULL for chunks read through the engine's
-- log API, which cannot be resumed at a byte.
ALTER TABLE corral_job_logs ADD COLUMN IF NOT EXISTS source_offset bigint;
ALTER TABLE corral_job_logs ADD COLUMN IF NOT EXISTS stripper_state integer;

-- Chunks are up to 1 MiB of text, so PostgreSQL compresses them. Its default, pglz, takes about 64 MB/s here
-- (a 1 MiB chunk of coloured log, measured with INSERTs of 128 such chunks), which made it the log pipeline's
-- slowest step; lz4 takes about 300 MB/s for a third more space. New rows only; a build without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE corral_job_logs ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: log chunks stay compressed with pglz';
END
$$;
