{#- The user object's counters, one row per account, load day and counter. They are totals
    read when the load ran, so metric_date is the load's day (the last closed day). X has no
    account-level daily analytics: impressions and engagements come from the posts. -#}
with

source as (

    select * from {{ source('x', 'users') }}

),

unnested as (

    select
        'x'::text as network,
        source.account_id,
        source.record_date as metric_date,
        metric.key as metric_name,
        {{ metric_value('metric.value') }} as metric_value,
        source.load_date,
        source.load_id,
        source.extracted_at

    from source
    cross join lateral jsonb_each(
        case
            when jsonb_typeof(source.payload -> 'public_metrics') = 'object'
                then source.payload -> 'public_metrics'
        end
    ) as metric (key, value)

)

select * from unnested
