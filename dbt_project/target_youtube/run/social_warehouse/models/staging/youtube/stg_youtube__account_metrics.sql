
  create view "sw_dev_youtube"."staging"."stg_youtube__account_metrics__dbt_tmp"
    
    
  as (
    with

daily as (

    select * from "sw_dev_youtube"."raw"."youtube__channel_daily"

),

channel as (

    select * from "sw_dev_youtube"."raw"."youtube__channel"

),

report_cells as (

    select
        daily.account_id,
        daily.record_date as metric_date,
        header.value ->> 'name' as metric_name,
        case jsonb_typeof(daily.payload -> 'row' -> (header.position - 1)::int)
        when 'number' then (daily.payload -> 'row' -> (header.position - 1)::int)::numeric
        when 'string' then case when (daily.payload -> 'row' -> (header.position - 1)::int #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (daily.payload -> 'row' -> (header.position - 1)::int #>> '{}')::numeric end
        when 'object' then coalesce(
            (daily.payload -> 'row' -> (header.position - 1)::int ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(daily.payload -> 'row' -> (header.position - 1)::int) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        daily.load_date,
        daily.load_id,
        daily.extracted_at

    from daily
    cross join lateral jsonb_array_elements(daily.payload -> 'columnHeaders')
        with ordinality as header (value, position)
    where header.value ->> 'columnType' = 'METRIC'

),

engagements as (

    select
        account_id,
        metric_date,
        'engagements'::text as metric_name,
        sum(metric_value) as metric_value,
        load_date,
        load_id,
        extracted_at

    from report_cells
    where metric_name in ('likes', 'comments', 'shares')
    group by account_id, metric_date, load_date, load_id, extracted_at

),

subscribers as (

    select
        account_id,
        record_date as metric_date,
        'subscriberCount'::text as metric_name,
        case jsonb_typeof(payload -> 'statistics' -> 'subscriberCount')
        when 'number' then (payload -> 'statistics' -> 'subscriberCount')::numeric
        when 'string' then case when (payload -> 'statistics' -> 'subscriberCount' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'statistics' -> 'subscriberCount' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'statistics' -> 'subscriberCount' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'statistics' -> 'subscriberCount') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        load_date,
        load_id,
        extracted_at

    from channel
    where payload -> 'statistics' ? 'subscriberCount'

),

unioned as (

    select * from report_cells
    union all
    select * from engagements
    union all
    select * from subscribers

),

final as (

    select
        'youtube'::text as network,
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
  );