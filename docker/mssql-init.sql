-- Run once by the `mssql-init` service (sqlcmd -v AppPassword=…): the database and the login
-- the server uses. Idempotent, so `docker compose up` may run it again on every start.
IF DB_ID(N'customtables') IS NULL CREATE DATABASE customtables;
GO
IF SUSER_ID(N'customtables') IS NULL
    CREATE LOGIN customtables WITH PASSWORD = N'$(AppPassword)', DEFAULT_DATABASE = customtables;
GO
USE customtables;
GO
-- The server creates one schema per tenant and the tables in it: it owns its database.
IF USER_ID(N'customtables') IS NULL CREATE USER customtables FOR LOGIN customtables;
ALTER ROLE db_owner ADD MEMBER customtables;
GO
