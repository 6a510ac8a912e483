{#- TikTok profile metrics, one row per account, day, metric and load day. The counters come
    untouched from the day's `metrics` entry, one row per field the entry carries. -#}
with

source as (

    select * from {{ source('tiktok', 'business_profile') }}

),

native as (

    select
        {{ account_metric_row('source', 'metric.metric_name', "source.payload -> 'metrics' -> 0 -> metric.metric_name") }}

    from source
    cross join (
        values
        ('followers_count'),
        ('profile_views'),
        ('video_views'),
        ('likes'),
        ('comments'),
        ('shares')
    ) as metric (metric_name)
    where source.payload -> 'metrics' -> 0 ? metric.metric_name

),

final as (

    {{ network_contract_rows('tiktok', 'account_metrics', ['native']) }}

)

select * from final
