with

share_statistics as (

    select * from "sw_dev_linkedin"."raw"."linkedin__share_statistics"

),

follower_statistics as (

    select * from "sw_dev_linkedin"."raw"."linkedin__follower_statistics"

),

network_size as (

    select * from "sw_dev_linkedin"."raw"."linkedin__network_size"

),

share_fields as (

    select
        share_statistics.account_id,
        share_statistics.record_date as metric_date,
        stat.name as metric_name,
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
        share_statistics.load_date,
        share_statistics.load_id,
        share_statistics.extracted_at

    from share_statistics
    cross join lateral jsonb_each(share_statistics.payload -> 'totalShareStatistics') as stat (name, value)

),

share_engagements as (

    select
        account_id,
        record_date as metric_date,
        'engagements'::text as metric_name,
        case jsonb_typeof(payload -> 'totalShareStatistics' -> 'clickCount')
        when 'number' then (payload -> 'totalShareStatistics' -> 'clickCount')::numeric
        when 'string' then case when (payload -> 'totalShareStatistics' -> 'clickCount' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'totalShareStatistics' -> 'clickCount' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'totalShareStatistics' -> 'clickCount' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'totalShareStatistics' -> 'clickCount') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end
        + case jsonb_typeof(payload -> 'totalShareStatistics' -> 'likeCount')
        when 'number' then (payload -> 'totalShareStatistics' -> 'likeCount')::numeric
        when 'string' then case when (payload -> 'totalShareStatistics' -> 'likeCount' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'totalShareStatistics' -> 'likeCount' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'totalShareStatistics' -> 'likeCount' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'totalShareStatistics' -> 'likeCount') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end
        + case jsonb_typeof(payload -> 'totalShareStatistics' -> 'commentCount')
        when 'number' then (payload -> 'totalShareStatistics' -> 'commentCount')::numeric
        when 'string' then case when (payload -> 'totalShareStatistics' -> 'commentCount' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'totalShareStatistics' -> 'commentCount' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'totalShareStatistics' -> 'commentCount' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'totalShareStatistics' -> 'commentCount') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end
        + case jsonb_typeof(payload -> 'totalShareStatistics' -> 'shareCount')
        when 'number' then (payload -> 'totalShareStatistics' -> 'shareCount')::numeric
        when 'string' then case when (payload -> 'totalShareStatistics' -> 'shareCount' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'totalShareStatistics' -> 'shareCount' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'totalShareStatistics' -> 'shareCount' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'totalShareStatistics' -> 'shareCount') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        load_date,
        load_id,
        extracted_at

    from share_statistics

),

follower_fields as (

    select
        follower_statistics.account_id,
        follower_statistics.record_date as metric_date,
        gain.name as metric_name,
        case jsonb_typeof(gain.value)
        when 'number' then (gain.value)::numeric
        when 'string' then case when (gain.value #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (gain.value #>> '{}')::numeric end
        when 'object' then coalesce(
            (gain.value ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(gain.value) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        follower_statistics.load_date,
        follower_statistics.load_id,
        follower_statistics.extracted_at

    from follower_statistics
    cross join lateral jsonb_each(follower_statistics.payload -> 'followerGains') as gain (name, value)

),

followers as (

    select
        account_id,
        record_date as metric_date,
        'firstDegreeSize'::text as metric_name,
        case jsonb_typeof(payload -> 'firstDegreeSize')
        when 'number' then (payload -> 'firstDegreeSize')::numeric
        when 'string' then case when (payload -> 'firstDegreeSize' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'firstDegreeSize' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'firstDegreeSize' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'firstDegreeSize') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        load_date,
        load_id,
        extracted_at

    from network_size

),

unioned as (

    select * from share_fields
    union all
    select * from share_engagements
    union all
    select * from follower_fields
    union all
    select * from followers

),

final as (

    select
        'linkedin'::text as network,
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