-- One row per load of (network, account, stream, load day). A load's data and its success row
-- commit in one transaction; a failed load keeps its row with the error.
create table ops.load_manifest (
    load_id bigint generated always as identity primary key,
    run_id text not null,
    network text not null,
    account_id text not null,
    stream text not null,
    load_date date not null,
    window_start date not null,
    window_end date not null,
    status text not null check (status in ('running', 'success', 'failed', 'skipped')),
    records integer not null default 0,
    rejected integer not null default 0,
    replaced integer not null default 0,
    requests integer,
    retries integer,
    throttled integer,
    waited_seconds numeric,
    warnings jsonb not null default '[]'::jsonb,
    error text,
    started_at timestamptz not null default now(),
    finished_at timestamptz
);

create index load_manifest_lookup on ops.load_manifest (network, account_id, stream, load_date);
create index load_manifest_started on ops.load_manifest (started_at);

comment on table ops.load_manifest is
    'Every load of one network account stream for one load day: window, counts, status, error.';
