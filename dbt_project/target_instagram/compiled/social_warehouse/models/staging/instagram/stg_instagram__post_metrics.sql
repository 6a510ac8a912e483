with

insights as (

    select * from "sw_dev_instagram"."raw"."instagram__media_insights"

),

media as (

    select * from "sw_dev_instagram"."raw"."instagram__media"

),

insight_metrics as (

    select
        insights.account_id,
        insights.record_key as post_id,
        insights.load_date as snapshot_date,
        metric.value ->> 'name' as metric_name,
        case jsonb_typeof(coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value'))
        when 'number' then (coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value'))::numeric
        when 'string' then case when (coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value') #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value') #>> '{}')::numeric end
        when 'object' then coalesce(
            (coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value') ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(coalesce(metric.value -> 'values' -> 0 -> 'value', metric.value -> 'total_value' -> 'value')) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
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
            ('like_count', case jsonb_typeof(media.payload -> 'like_count')
        when 'number' then (media.payload -> 'like_count')::numeric
        when 'string' then case when (media.payload -> 'like_count' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (media.payload -> 'like_count' #>> '{}')::numeric end
        when 'object' then coalesce(
            (media.payload -> 'like_count' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(media.payload -> 'like_count') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end),
            ('comments_count', case jsonb_typeof(media.payload -> 'comments_count')
        when 'number' then (media.payload -> 'comments_count')::numeric
        when 'string' then case when (media.payload -> 'comments_count' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (media.payload -> 'comments_count' #>> '{}')::numeric end
        when 'object' then coalesce(
            (media.payload -> 'comments_count' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(media.payload -> 'comments_count') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end)
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