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
        {{ post_metric_row(
            'insights',
            "metric.value ->> 'name'",
            "coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value')",
        ) }}

    from insights
    cross join lateral jsonb_array_elements(insights.payload -> 'insights' -> 'data') as metric (value)

),

object_counts as (

    select
        {{ post_metric_row('media', 'counts.metric_name', 'media.payload -> counts.metric_name') }}

    from media
    cross join (
        values
        ('like_count'),
        ('comments_count')
    ) as counts (metric_name)

),

present_counts as (

    select * from object_counts
    where metric_value is not null

),

final as (

    {{ network_contract_rows('instagram', 'post_metrics', ['insight_metrics', 'present_counts']) }}

)

select * from final
