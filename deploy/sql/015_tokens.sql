-- Several named bearer tokens per user, each with an optional expiry. Only a SHA-256 hash of each token is
-- stored. Revoking a token deletes its row. Safe to apply any number of times.
CREATE TABLE IF NOT EXISTS corral_tokens
(
    id text PRIMARY KEY,
    user_name text NOT NULL REFERENCES corral_users (name) ON DELETE CASCADE,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    -- Written at most once a minute per token (on a gateway's cache miss), so it is "last used" to within a minute.
    last_used_at timestamptz
);

CREATE INDEX IF NOT EXISTS corral_tokens_user_name ON corral_tokens (user_name);

-- Before this file each user had exactly one token, in corral_users.token_hash: it becomes that user's token
-- "initial" and the column goes, in one step. Dropping the column (rather than keeping a copy) is what makes a
-- second run harmless: a token revoked after the first run cannot come back from the old column.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'corral_users' AND column_name = 'token_hash') THEN
        EXECUTE $sql$
            INSERT INTO corral_tokens (id, user_name, name, token_hash, created_at)
            SELECT substr(replace(gen_random_uuid()::text, '-', ''), 1, 16), name, 'initial', token_hash, created_at
            FROM corral_users
            WHERE token_hash IS NOT NULL
            ON CONFLICT (token_hash) DO NOTHING
        $sql$;
        ALTER TABLE corral_users DROP COLUMN token_hash;
    END IF;
END
$$;
