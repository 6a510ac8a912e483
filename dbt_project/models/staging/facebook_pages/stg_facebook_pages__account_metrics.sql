with

source as (

    select * from {{ source('facebook_pages', 'page_insights') }}

),

renamed as (

    select
        'facebook_pages'::text as network,
        account_id,
        record_date as metric_date,
        payload ->> 'name' as metric_name,
        {{ metric_value("payload -> 'values' -> 0 -> 'value'") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from source
    -- the connector keeps only the period it asked for; older loads may hold other periods
    where payload ->> 'period' = 'day'

)

select * from renamed
