{#- Lifetime post metrics, one row per post, metric and load day: the insights metrics, plus the
    comment and share counts the post object itself carries (Meta omits `shares` when there are
    none, so an absent count is 0). -#}
with

insights as (

    select * from {{ source('facebook_pages', 'post_insights') }}

),

posts as (

    select * from {{ source('facebook_pages', 'posts') }}

),

insight_metrics as (

    select
        {{ post_metric_row('insights', "metric.value ->> 'name'", "metric.value -> 'values' -> 0 -> 'value'") }}

    from insights
    cross join lateral jsonb_array_elements(insights.payload -> 'insights' -> 'data') as metric (value)

),

object_counts as (

    select
        posts.account_id,
        posts.record_key as post_id,
        posts.load_date as snapshot_date,
        counts.metric_name,
        counts.metric_value,
        posts.load_id,
        posts.extracted_at

    from posts
    cross join lateral (
        values
        ('comments', (posts.payload -> 'comments' -> 'summary' ->> 'total_count')::numeric),
        ('shares', coalesce((posts.payload -> 'shares' ->> 'count')::numeric, 0))
    ) as counts (metric_name, metric_value)

),

final as (

    {{ network_contract_rows('facebook_pages', 'post_metrics', ['insight_metrics', 'object_counts']) }}

)

select * from final
