-- Every expectation result of every gate run, for BI and alerting (the GX Data Docs show the
-- same results as pages).
create table ops.quality_results (
    result_id bigint generated always as identity primary key,
    run_id text not null,
    checked_day date not null,
    suite text not null,
    asset text not null,
    expectation_type text not null,
    expectation_kwargs jsonb not null,
    severity text not null check (severity in ('critical', 'warning', 'info')),
    success boolean not null,
    failing_count bigint,
    observed jsonb,
    sample jsonb,
    checked_at timestamptz not null default now()
);

create index quality_results_day on ops.quality_results (checked_day, severity, success);

comment on table ops.quality_results is 'Great Expectations results per gate run, day and expectation.';
