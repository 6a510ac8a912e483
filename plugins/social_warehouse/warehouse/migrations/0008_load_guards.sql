-- What a load fetched against what the previous load of the same account and stream still in the
-- window held (the shrink guard), records left out on purpose, the load's lock and whether it
-- was abandoned by a killed process.
alter table ops.load_manifest drop constraint load_manifest_status_check;
alter table ops.load_manifest add constraint load_manifest_status_check
    check (status in ('running', 'success', 'failed', 'skipped', 'refused', 'abandoned'));

alter table ops.load_manifest
    add column fetched integer,
    add column previous_load_id bigint,
    add column previous_records integer,
    add column shrink_accepted boolean not null default false,
    add column dropped integer not null default 0,
    add column dropped_reasons jsonb not null default '{}'::jsonb,
    add column record_days jsonb,
    add column abandoned_at timestamptz,
    add column abandoned_by bigint;

create index load_manifest_running on ops.load_manifest (network, account_id)
    where status = 'running';

comment on column ops.load_manifest.fetched is
    'Records the API returned for this load (before de-duplication by key).';
comment on column ops.load_manifest.previous_records is
    'Records of the previous load of this account and stream that fall inside this load''s window: '
    'what the shrink guard compared the fetched records with.';
comment on column ops.load_manifest.shrink_accepted is
    'An operator accepted a load far smaller than the previous one (--allow-shrink / allow_shrink).';
comment on column ops.load_manifest.dropped is
    'Records left out on purpose (e.g. periods not asked for); dropped_reasons counts them by reason.';
comment on column ops.load_manifest.record_days is
    'Loaded records per record_date: {"2026-11-20": 12, ...}.';
comment on column ops.load_manifest.abandoned_by is
    'The load that found this one left running by a killed process and marked it abandoned.';
