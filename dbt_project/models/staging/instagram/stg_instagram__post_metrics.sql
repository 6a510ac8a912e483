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

media_counts as (

    select
        account_id,
        record_key as post_id,
        load_date as snapshot_date,
        {{ metric_value("payload -> 'like_count'") }} as like_count,
        {{ metric_value("payload -> 'comments_count'") }} as comments_count,
        load_id,
        extracted_at

    from media

),

object_counts as (

    select
        media_counts.account_id,
        media_counts.post_id,
        media_counts.snapshot_date,
        counts.metric_name,
        counts.metric_value,
        media_counts.load_id,
        media_counts.extracted_at

    from media_counts
    cross join lateral (
        values
        ('like_count', media_counts.like_count),
        ('comments_count', media_counts.comments_count)
    ) as counts (metric_name, metric_value)

),

unioned as (

    select * from insight_metrics
    union all
    select * from object_counts
    where metric_value is not null

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
