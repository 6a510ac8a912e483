
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