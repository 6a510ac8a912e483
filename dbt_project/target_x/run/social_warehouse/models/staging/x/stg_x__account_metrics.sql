
  create view "sw_dev_x"."staging"."stg_x__account_metrics__dbt_tmp"
    
    
  as (
    with

source as (

    select * from "sw_dev_x"."raw"."x__users"

),

unnested as (

    select
        'x'::text as network,
        source.account_id,
        source.record_date as metric_date,
        metric.key as metric_name,
        case jsonb_typeof(metric.value)
        when 'number' then (metric.value)::numeric
        when 'string' then case when (metric.value #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (metric.value #>> '{}')::numeric end
        when 'object' then coalesce(
            (metric.value ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(metric.value) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        source.load_date,
        source.load_id,
        source.extracted_at

    from source
    cross join lateral jsonb_each(
        case when jsonb_typeof(source.payload -> 'public_metrics') = 'object'
            then source.payload -> 'public_metrics' end
    ) as metric (key, value)

)

select * from unnested
  );