{#- Lifetime video metrics, one row per video, load day (the snapshot) and metric, unnested from
    the video objects of the raw videos table: every load re-reads the whole post window, so
    each load day already holds a lifetime snapshot of every video in it. -#}
with

source as (

    select * from {{ source('tiktok', 'videos') }}

),

unnested as (

    select
        source.account_id,
        source.payload ->> 'item_id' as post_id,
        source.load_date as snapshot_date,
        metric.metric_name,
        {{ metric_value("source.payload -> metric.metric_name") }} as metric_value,
        source.load_id,
        source.extracted_at

    from source
    cross join (
        values
        ('video_views'),
        ('likes'),
        ('comments'),
        ('shares'),
        ('reach')
    ) as metric (metric_name)
    where source.payload ? metric.metric_name

),

final as (

    select
        'tiktok'::text as network,
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
