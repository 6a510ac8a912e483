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
        share_statistics.account_id,
        share_statistics.record_date as metric_date,
        stat.name as metric_name,
        {{ metric_value('stat.value') }} as metric_value,
        share_statistics.load_date,
        share_statistics.load_id,
        share_statistics.extracted_at

    from share_statistics
    cross join lateral jsonb_each(share_statistics.payload -> 'totalShareStatistics') as stat (name, value)

),

follower_fields as (

    select
        follower_statistics.account_id,
        follower_statistics.record_date as metric_date,
        gain.name as metric_name,
        {{ metric_value('gain.value') }} as metric_value,
        follower_statistics.load_date,
        follower_statistics.load_id,
        follower_statistics.extracted_at

    from follower_statistics
    cross join lateral jsonb_each(follower_statistics.payload -> 'followerGains') as gain (name, value)

),

followers as (

    select
        account_id,
        record_date as metric_date,
        'firstDegreeSize'::text as metric_name,
        {{ metric_value("payload -> 'firstDegreeSize'") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from network_size

),

unioned as (

    select * from share_fields
    union all
    select * from follower_fields
    union all
    select * from followers

),

final as (

    select
        'linkedin'::text as network,
        account_id,
        metric_date,
        metric_name,
        metric_value,
        load_date,
        load_id,
        extracted_at

    from unioned

)

select * from final
