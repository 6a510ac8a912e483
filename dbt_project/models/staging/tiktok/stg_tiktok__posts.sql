with

source as (

    select * from {{ source('tiktok', 'videos') }}

),

renamed as (

    select
        account_id,
        payload ->> 'item_id' as post_id,
        -- create_time is unix seconds (a string of digits in the API's answer)
        to_timestamp((payload ->> 'create_time')::bigint) as published_at,
        record_date as published_date,
        'video'::text as post_type,
        payload ->> 'caption' as post_text,
        payload ->> 'share_url' as permalink,
        load_date,
        load_id,
        extracted_at

    from source

),

final as (

    {{ network_contract_rows('tiktok', 'posts', ['renamed']) }}

)

select * from final
