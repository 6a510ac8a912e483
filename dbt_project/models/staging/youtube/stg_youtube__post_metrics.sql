{#- Lifetime video statistics, one row per video, metric and load day. The Data API sends the
    counts as strings; a hidden like count or disabled comments leave the field out (no row,
    so NULL downstream, never 0). favoriteCount is always 0 and not kept. -#}
with

source as (

    select * from {{ source('youtube', 'video_statistics') }}

),

statistics as (

    select
        {{ post_metric_row('source', 'stat.metric_name', 'stat.value') }}

    from source
    cross join lateral jsonb_each(source.payload -> 'statistics') as stat (metric_name, value)
    where stat.metric_name in ('viewCount', 'likeCount', 'commentCount')

),

final as (

    {{ network_contract_rows('youtube', 'post_metrics', ['statistics']) }}

)

select * from final
