-- Records that could not be parsed or broke their stream's contract, with the reason. The good
-- records of the same answer still land in raw.
create table ops.rejected_records (
    rejected_id bigint generated always as identity primary key,
    load_id bigint not null references ops.load_manifest (load_id) on delete cascade,
    network text not null,
    stream text not null,
    account_id text not null,
    load_date date not null,
    record_key text,
    reason text not null,
    payload text not null,
    rejected_at timestamptz not null default now()
);

create index rejected_records_lookup on ops.rejected_records (network, stream, account_id, load_date);

create view ops.rejected_records_daily as
select
    network,
    stream,
    load_date,
    count(*) as rejected,
    count(distinct account_id) as accounts,
    min(reason) as example_reason
from ops.rejected_records
group by network, stream, load_date;

comment on view ops.rejected_records_daily is 'Rejected records per network, stream and load day.';
