-- Qinglian: database roles and the database itself. Run once per cluster, as a
-- superuser, with psql (it uses psql meta-commands). Safe to re-run: existing
-- roles get their attributes and passwords reset, an existing database is kept.
--
--   sudo -u postgres env QINGLIAN_OWNER_PASSWORD=... QINGLIAN_APP_PASSWORD=... \
--        QINGLIAN_BACKUP_PASSWORD=... psql -f ops/postgres/init-roles.sql
--
-- Values come from psql variables (-v name=value) or, failing that, from the
-- environment (psql >= 15 \getenv; keeps passwords off the command line):
--   owner_password   QINGLIAN_OWNER_PASSWORD   required
--   app_password     QINGLIAN_APP_PASSWORD     required
--   backup_password  QINGLIAN_BACKUP_PASSWORD  optional; no backup role without it
--   dbname           QINGLIAN_DB_NAME          default qinglian
--   owner_role       QINGLIAN_OWNER_ROLE       default qinglian_owner
--   app_role         DATABASE_APP_ROLE         default qinglian_app (same variable the app reads)
--   backup_role      QINGLIAN_BACKUP_ROLE      default qinglian_backup
--
-- Roles:
--   owner  - owns the database, schema objects and RLS policies; used only by
--            `flask db upgrade` (DATABASE_MIGRATION_URL). Tables are FORCE'd, so
--            RLS filters even this role: it cannot pg_dump the data.
--   app    - the application (DATABASE_URL): not owner, not superuser, not
--            BYPASSRLS, so every query goes through the RLS policies.
--            The migrations grant it table privileges. Maintenance work (folds,
--            reconcile, unit moves) runs on this role too, in a context signed with
--            a key derived from SECRET_KEY that the role cannot read (rls_context_key):
--            no setting it can write turns RLS off, so no maintenance login exists
--            and no role but backup is BYPASSRLS (ops/README.md, "Database roles").
--   backup - read-only, BYPASSRLS + pg_read_all_data: what ops/backup.sh uses.
--            Keep its password with the backup job only.
-- Use passwords of letters and digits (e.g. `openssl rand -hex 24`): they go
-- into URLs, where other characters need percent-encoding.

\set ON_ERROR_STOP on
\set QUIET on

-- Never write the passwords below into the server log (log_statement=ddl/all).
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET client_min_messages = warning;

-- psql variables: command line first, then environment, then defaults.
\if :{?owner_password}
\else
  \getenv owner_password QINGLIAN_OWNER_PASSWORD
\endif
\if :{?app_password}
\else
  \getenv app_password QINGLIAN_APP_PASSWORD
\endif
\if :{?backup_password}
\else
  \getenv backup_password QINGLIAN_BACKUP_PASSWORD
\endif
\if :{?dbname}
\else
  \getenv dbname QINGLIAN_DB_NAME
\endif
\if :{?owner_role}
\else
  \getenv owner_role QINGLIAN_OWNER_ROLE
\endif
\if :{?app_role}
\else
  \getenv app_role DATABASE_APP_ROLE
\endif
\if :{?backup_role}
\else
  \getenv backup_role QINGLIAN_BACKUP_ROLE
\endif
\if :{?dbname}
\else
  \set dbname qinglian
\endif
\if :{?owner_role}
\else
  \set owner_role qinglian_owner
\endif
\if :{?app_role}
\else
  \set app_role qinglian_app
\endif
\if :{?backup_role}
\else
  \set backup_role qinglian_backup
\endif

\if :{?owner_password}
\else
  \set owner_password ''
\endif
\if :{?app_password}
\else
  \set app_password ''
\endif
\if :{?backup_password}
\else
  \set backup_password ''
\endif

SELECT :'owner_password' = '' AS missing_owner_password,
       :'app_password' = '' AS missing_app_password,
       :'backup_password' <> '' AS with_backup_role,
       :'owner_password' = :'app_password' AS same_passwords \gset
\if :missing_owner_password
  \echo 'init-roles.sql: set QINGLIAN_OWNER_PASSWORD (or -v owner_password=...)'
  DO $$ BEGIN RAISE EXCEPTION 'owner password missing'; END $$;
\endif
\if :missing_app_password
  \echo 'init-roles.sql: set QINGLIAN_APP_PASSWORD (or -v app_password=...)'
  DO $$ BEGIN RAISE EXCEPTION 'app password missing'; END $$;
\endif
\if :same_passwords
  DO $$ BEGIN RAISE EXCEPTION 'the owner and app roles must not share a password'; END $$;
\endif

-- Owner role --------------------------------------------------------------
SELECT format('CREATE ROLE %I LOGIN', :'owner_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner_role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'owner_role', :'owner_password') \gexec

-- App role: everything RLS relies on is spelled out, also for a role that
-- already existed with other attributes.
SELECT format('CREATE ROLE %I LOGIN', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'app_role', :'app_password') \gexec

-- Backup role (optional) ----------------------------------------------------
\if :with_backup_role
  SELECT format('CREATE ROLE %I LOGIN', :'backup_role')
   WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'backup_role') \gexec
  SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS PASSWORD %L',
                :'backup_role', :'backup_password') \gexec
  SELECT format('GRANT pg_read_all_data TO %I', :'backup_role') \gexec
  SELECT format('ALTER ROLE %I SET default_transaction_read_only = on', :'backup_role') \gexec
\endif

-- Database ------------------------------------------------------------------
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'dbname', :'owner_role', 'UTF8')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'dbname', :'owner_role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'dbname', :'app_role') \gexec
\if :with_backup_role
  SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'dbname', :'backup_role') \gexec
\endif

\connect :"dbname"
SET log_statement = 'none';
-- PostgreSQL 15 already keeps PUBLIC from creating in schema public; be explicit.
-- The schema belongs to the database owner (pg_database_owner), i.e. the owner role.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'app_role') \gexec

\unset owner_password
\unset app_password
\unset backup_password
\echo 'init-roles.sql: roles' :owner_role :app_role 'and database' :dbname 'are ready; next: flask --app wsgi db upgrade as' :owner_role
