-- A job's files (Files/PostgresJobFileStore): the inputs uploaded with it (file_set 0) and the results its working
-- directory held when it ended (file_set 1). Every host reaches PostgreSQL, so a file uploaded through one gateway
-- is read by the agent of whichever host runs the job. Contents are split into chunks of up to 1 MiB, so neither a
-- writer nor a reader holds a whole file in memory. Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_job_files
(
    job_id text NOT NULL,
    file_set smallint NOT NULL,
    path text NOT NULL,
    size bigint NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, file_set, path)
);

CREATE TABLE IF NOT EXISTS corral_job_file_chunks
(
    job_id text NOT NULL,
    file_set smallint NOT NULL,
    path text NOT NULL,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (job_id, file_set, path, seq),
    FOREIGN KEY (job_id, file_set, path) REFERENCES corral_job_files ON DELETE CASCADE
);

-- Uploads are often already compressed (archives, images, model weights): TOAST stores the chunks out of line
-- without trying pglz on each, which costs CPU and rarely saves space.
ALTER TABLE corral_job_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
