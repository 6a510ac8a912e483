-- The per-network settings the quality gate needs (freshness SLA, data lag, lookbacks), as the
-- pipeline last saw config/networks.yml. Replaced whole on every sync.
create table ops.network_settings (
    network text primary key,
    freshness_sla_hours integer not null,
    data_lag_days integer not null,
    lookback_days integer not null,
    post_lookback_days integer not null,
    synced_at timestamptz not null default now()
);

comment on table ops.network_settings is 'Per-network settings from config/networks.yml used by quality checks.';
