-- The brands and accounts of config/accounts.yml as the pipeline last saw them, so dbt and the
-- quality gates know which accounts must be present. Replaced whole on every sync.
create table ops.configured_accounts (
    brand_id text not null,
    brand_name text not null,
    network text not null,
    account_id text not null,
    account_name text not null,
    synced_at timestamptz not null default now(),
    primary key (network, account_id)
);

comment on table ops.configured_accounts is 'Brands and network accounts from config/accounts.yml.';
