
  create view "sw_dev_instagram"."staging"."stg_instagram__account_metrics__dbt_tmp"
    
    
  as (
    with

insights as (

    select * from "sw_dev_instagram"."raw"."instagram__account_insights"

),

account as (

    select * from "sw_dev_instagram"."raw"."instagram__account"

),

insight_metrics as (

    select
        account_id,
        record_date as metric_date,
        payload ->> 'name' as metric_name,
        case jsonb_typeof(coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value'))
        when 'number' then (coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value'))::numeric
        when 'string' then case when (coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value') #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value') #>> '{}')::numeric end
        when 'object' then coalesce(
            (coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value') ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value')) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        load_date,
        load_id,
        extracted_at

    from insights

),

snapshot_metrics as (

    select
        account_id,
        record_date as metric_date,
        'followers_count'::text as metric_name,
        case jsonb_typeof(payload -> 'followers_count')
        when 'number' then (payload -> 'followers_count')::numeric
        when 'string' then case when (payload -> 'followers_count' #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (payload -> 'followers_count' #>> '{}')::numeric end
        when 'object' then coalesce(
            (payload -> 'followers_count' ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(payload -> 'followers_count') as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        load_date,
        load_id,
        extracted_at

    from account

),

unioned as (

    select * from insight_metrics
    union all
    select * from snapshot_metrics

),

final as (

    select
        'instagram'::text as network,
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