with

source as (

    select * from "sw_dev_youtube"."raw"."youtube__video_statistics"

),

statistics as (

    select
        source.account_id,
        source.record_key as post_id,
        source.load_date as snapshot_date,
        stat.metric_name,
        case jsonb_typeof(stat.value)
        when 'number' then (stat.value)::numeric
        when 'string' then case when (stat.value #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (stat.value #>> '{}')::numeric end
        when 'object' then coalesce(
            (stat.value ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(stat.value) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
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