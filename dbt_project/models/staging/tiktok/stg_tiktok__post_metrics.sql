{#- Lifetime video metrics, one row per video, load day (the snapshot) and metric, unnested from
    the video objects of the raw videos table: every load re-reads the whole post window, so
    each load day already holds a lifetime snapshot of every video in it. -#}
with

source as (

    select * from {{ source('tiktok', 'videos') }}

),

unnested as (

    select
        {{ post_metric_row(
            'source',
            'metric.metric_name',
            'source.payload -> metric.metric_name',
            post_id="payload ->> 'item_id'",
        ) }}

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

    {{ network_contract_rows('tiktok', 'post_metrics', ['unnested']) }}

)

select * from final
