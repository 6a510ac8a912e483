{#- TikTok profile metrics, one row per account, day, metric and load day. The counters come
    untouched from the day's `metrics` entry, one row per field the entry carries. -#}
with

source as (

    select * from {{ source('tiktok', 'business_profile') }}

),

entries as (

    select
        account_id,
        record_date as metric_date,
        payload -> 'metrics' -> 0 as entry,
        load_date,
        load_id,
        extracted_at

    from source

),

native as (

    select
        entries.account_id,
        entries.metric_date,
        metric.metric_name,
        {{ metric_value("entries.entry -> metric.metric_name") }} as metric_value,
        entries.load_date,
        entries.load_id,
        entries.extracted_at

    from entries
    cross join (
        values
        ('followers_count'),
        ('profile_views'),
        ('video_views'),
        ('likes'),
        ('comments'),
        ('shares')
    ) as metric (metric_name)
    where entries.entry ? metric.metric_name

),

final as (

    select
        'tiktok'::text as network,
        account_id,
        metric_date,
        metric_name,
        metric_value,
        load_date,
        load_id,
        extracted_at

    from native

)

select * from final
