{#- LinkedIn page metrics, long: the day's share statistics and follower gains under LinkedIn's
    field names, and the follower total (LinkedIn's own `engagement` is a rate: it stays a
    metric of its own and is never summed). -#}
with

share_statistics as (

    select * from {{ source('linkedin', 'share_statistics') }}

),

follower_statistics as (

    select * from {{ source('linkedin', 'follower_statistics') }}

),

network_size as (

    select * from {{ source('linkedin', 'network_size') }}

),

share_fields as (

    select
        {{ account_metric_row('share_statistics', 'stat.name', 'stat.value') }}

    from share_statistics
    cross join lateral jsonb_each(share_statistics.payload -> 'totalShareStatistics') as stat (name, value)

),

follower_fields as (

    select
        {{ account_metric_row('follower_statistics', 'gain.name', 'gain.value') }}

    from follower_statistics
    cross join lateral jsonb_each(follower_statistics.payload -> 'followerGains') as gain (name, value)

),

followers as (

    select
        {{ account_metric_row('network_size', "'firstDegreeSize'::text", "network_size.payload -> 'firstDegreeSize'") }}

    from network_size

),

final as (

    {{ network_contract_rows('linkedin', 'account_metrics', ['share_fields', 'follower_fields', 'followers']) }}

)

select * from final
