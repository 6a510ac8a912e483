{#- TikTok profile metrics, one row per account, day, metric and load day. The counters come
    untouched from the day's `metrics` entry; `engagements` is derived here (likes + comments +
    shares of the same entry, null when one is missing) because TikTok has no native total. -#}
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
    cross join lateral (
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

engagements as (

    select
        account_id,
        metric_date,
        'engagements'::text as metric_name,
        {{ metric_value("entry -> 'likes'") }}
            + {{ metric_value("entry -> 'comments'") }}
            + {{ metric_value("entry -> 'shares'") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from entries

),

unioned as (

    select * from native
    union all
    select * from engagements
    where metric_value is not null

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

    from unioned

)

select * from final
