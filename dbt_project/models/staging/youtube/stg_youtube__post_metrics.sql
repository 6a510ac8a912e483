{#- Lifetime video statistics, one row per video, metric and load day. The Data API sends the
    counts as strings; a hidden like count or disabled comments leave the field out (no row,
    so NULL downstream, never 0). favoriteCount is always 0 and not kept. -#}
with

source as (

    select * from {{ source('youtube', 'video_statistics') }}

),

statistics as (

    select
        source.account_id,
        source.record_key as post_id,
        source.load_date as snapshot_date,
        stat.metric_name,
        {{ metric_value('stat.value') }} as metric_value,
        source.load_id,
        source.extracted_at

    from source
    cross join lateral jsonb_each(source.payload -> 'statistics') as stat (metric_name, value)
    where stat.metric_name in ('viewCount', 'likeCount', 'commentCount')

),

final as (

    select
        'youtube'::text as network,
        account_id,
        post_id,
        snapshot_date,
        metric_name,
        metric_value,
        load_id,
        extracted_at

    from statistics

)

select * from final
