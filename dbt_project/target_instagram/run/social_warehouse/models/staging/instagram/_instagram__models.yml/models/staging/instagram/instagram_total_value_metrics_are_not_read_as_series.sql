
    -- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    "metric_date","metric_name","metric_value", 'actual' as "actual_or_expected"
  from (
    with

 __dbt__cte__instagram__account_insights as (

-- Fixture for account_insights
select cast(null as bigint) as "load_id", 
    
    cast('1' as text)
 as "account_id", 
    
    cast('2026-11-20' as date)
 as "load_date", cast(null as text) as "record_key", 
    
    cast('2026-11-20' as date)
 as "record_date", cast(null as timestamp with time zone) as "extracted_at", cast(null as text) as "run_id", 
    
    cast('{"name": "views", "period": "day", "total_value": {"value": 2322}}' as jsonb)
 as "payload"
union all
select cast(null as bigint) as "load_id", 
    
    cast('1' as text)
 as "account_id", 
    
    cast('2026-11-20' as date)
 as "load_date", cast(null as text) as "record_key", 
    
    cast('2026-11-19' as date)
 as "record_date", cast(null as timestamp with time zone) as "extracted_at", cast(null as text) as "run_id", 
    
    cast('{"name": "reach", "period": "day", "values": [{"value": 1434, "end_time": "2026-11-20T08:00:00+0000"}]}' as jsonb)
 as "payload"
),  __dbt__cte__instagram__account as (

-- Fixture for account
select cast(null as bigint) as "load_id", 
    
    cast('1' as text)
 as "account_id", 
    
    cast('2026-11-20' as date)
 as "load_date", cast(null as text) as "record_key", 
    
    cast('2026-11-20' as date)
 as "record_date", cast(null as timestamp with time zone) as "extracted_at", cast(null as text) as "run_id", 
    
    cast('{"id": "1", "followers_count": 6626}' as jsonb)
 as "payload"
), insights as (

    select * from __dbt__cte__instagram__account_insights

),

account as (

    select * from __dbt__cte__instagram__account

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
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    "metric_date", "metric_name", "metric_value", 'expected' as "actual_or_expected"
  from (
    select 
    
    cast('2026-11-20' as date)
 as "metric_date", 
    
    cast('views' as text)
 as "metric_name", 
    
    cast(2322 as numeric)
 as "metric_value"
union all
select 
    
    cast('2026-11-19' as date)
 as "metric_date", 
    
    cast('reach' as text)
 as "metric_name", 
    
    cast(1434 as numeric)
 as "metric_value"
union all
select 
    
    cast('2026-11-20' as date)
 as "metric_date", 
    
    cast('followers_count' as text)
 as "metric_name", 
    
    cast(6626 as numeric)
 as "metric_value"
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected