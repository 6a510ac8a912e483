{#- Lifetime media metrics, one row per media, metric and load day: the media insights (the
    metrics each media type reports) plus the like and comment counts of the media object, which
    are the only likes and comments Instagram gives for feed images and carousels. A count the
    API left out stays absent rather than becoming 0. -#}
with

insights as (

    select * from {{ source('instagram', 'media_insights') }}

),

media as (

    select * from {{ source('instagram', 'media') }}

),

insight_metrics as (

    select
        insights.account_id,
        insights.record_key as post_id,
        insights.load_date as snapshot_date,
        metric.value ->> 'name' as metric_name,
        {{ metric_value("coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value')") }} as metric_value,
        insights.load_id,
        insights.extracted_at

    from insights
    cross join lateral jsonb_array_elements(insights.payload -> 'insights' -> 'data') as metric (value)

),

object_counts as (

    select
        media.account_id,
        media.record_key as post_id,
        media.load_date as snapshot_date,
        counts.metric_name,
        counts.metric_value,
        media.load_id,
        media.extracted_at

    from media
    cross join lateral (
        values
            ('like_count', {{ metric_value("media.payload -> 'like_count'") }}),
            ('comments_count', {{ metric_value("media.payload -> 'comments_count'") }})
    ) as counts (metric_name, metric_value)
    where counts.metric_value is not null

),

unioned as (

    select * from insight_metrics
    union all
    select * from object_counts

),

final as (

    select
        'instagram'::text as network,
        account_id,
        post_id,
        snapshot_date,
        metric_name,
        metric_value,
        load_id,
        extracted_at

    from unioned

)

select * from final
