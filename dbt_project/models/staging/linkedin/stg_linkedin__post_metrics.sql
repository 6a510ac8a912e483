{#- Lifetime post statistics, one row per post, load day and field of totalShareStatistics. -#}
with

source as (

    select * from {{ source('linkedin', 'post_statistics') }}

),

unnested as (

    select
        source.account_id,
        source.record_key as post_id,
        source.load_date as snapshot_date,
        stat.name as metric_name,
        {{ metric_value('stat.value') }} as metric_value,
        source.load_id,
        source.extracted_at

    from source
    cross join lateral jsonb_each(source.payload -> 'totalShareStatistics') as stat (name, value)

),

final as (

    select
        'linkedin'::text as network,
        account_id,
        post_id,
        snapshot_date,
        metric_name,
        metric_value,
        load_id,
        extracted_at

    from unnested

)

select * from final
