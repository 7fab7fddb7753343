-- Orleans ADO.NET shared table (PostgreSQL).
--
-- Based on dotnet/orleans src/AdoNet/Shared/PostgreSQL-Main.sql (10.x).
-- Changes from the reference: CREATE TABLE -> CREATE TABLE IF NOT EXISTS, so
-- the file can be applied any number of times. Each file in this folder is
-- applied in a single transaction (psql --single-transaction).
--
-- Implementation notes from the reference:
--
-- 1) Data is read and written through Orleans specific queries. Orleans
--    operates on column names and types when reading and on parameter names
--    and types when writing.
-- 2) The implementations *must* preserve input and output names and types.
-- 3) Constraint names are kept identical to the other vendor scripts.
-- 5) ETag is an opaque column representing a unique version; integers here.
-- 6) Some queries return TRUE as >0 and FALSE as =0. On error the whole
--    transaction must be rolled back; Orleans treats exceptions as failures
--    and retries.
-- 7) The implementation follows the extended Orleans membership protocol:
--    https://learn.microsoft.com/dotnet/orleans/implementation/cluster-management

-- This table defines Orleans operational queries. Orleans uses these to manage
-- its operations; these are the only queries Orleans issues to the database.
-- They can be redefined (e.g. to provide non-destructive updates) provided the
-- stated interface principles hold.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY(QueryKey)
);
