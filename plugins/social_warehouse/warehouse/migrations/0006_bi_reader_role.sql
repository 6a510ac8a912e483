-- The read-only role BI tools (Metabase, Superset, psql) use: it can read the marts schema and
-- nothing else (raw, staging, intermediate and ops are not granted). It logs in only once
-- BI_READER_PASSWORD is set in the environment (applied by every migrate run, never stored here).
do $$
begin
    if not exists (select from pg_roles where rolname = 'bi_reader') then
        create role bi_reader nologin;
    end if;
end
$$;

create schema if not exists marts;
grant usage on schema marts to bi_reader;
grant select on all tables in schema marts to bi_reader;
-- tables dbt creates later (it rebuilds them on every run) are granted by dbt's `grants` config
-- and, for tables created by this role outside dbt, by the default privileges
alter default privileges in schema marts grant select on tables to bi_reader;

comment on role bi_reader is 'Read-only access to the marts schema for BI tools.';
