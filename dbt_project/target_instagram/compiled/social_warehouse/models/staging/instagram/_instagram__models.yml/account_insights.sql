
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