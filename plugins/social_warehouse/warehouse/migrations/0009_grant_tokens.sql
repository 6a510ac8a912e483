-- OAuth grants: the current access token, its expiry and the newest (possibly rotated) refresh
-- token of each grant, encrypted with Fernet. A refresh reads and writes its row under a row
-- lock in one transaction, so tasks sharing a grant refresh it once and a rotated refresh token
-- is never lost. `seed_fingerprint` tells which refresh token of the Airflow connection the row
-- descends from: when the connection is edited (reconnected), the row starts over from it.
create table ops.grant_tokens (
    grant_id text primary key,
    network text not null,
    access_token text,
    access_expires_at timestamptz,
    refresh_token text,
    refresh_expires_at timestamptz,
    seed_fingerprint text not null,
    scope text,
    refresh_count integer not null default 0,
    refreshed_at timestamptz,
    last_error text,
    updated_at timestamptz not null default now()
);

comment on table ops.grant_tokens is
    'OAuth token state per grant (Airflow connection), tokens Fernet-encrypted; never readable by bi_reader.';

-- What grants_health found, one row per grant and check day.
create table ops.grant_health (
    checked_day date not null,
    grant_id text not null,
    network text not null,
    accounts text[] not null,
    source text,
    kind text not null,
    access_expires_at timestamptz,
    refresh_expires_at timestamptz,
    last_refresh timestamptz,
    status text not null check (status in ('ok', 'expiring', 'revoked', 'missing', 'error')),
    message text,
    checked_at timestamptz not null default now(),
    primary key (checked_day, grant_id)
);

comment on table ops.grant_health is
    'Daily check of every grant: expiries, last refresh, and whether it still works.';
