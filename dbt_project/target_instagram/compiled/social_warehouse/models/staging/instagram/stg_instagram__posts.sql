with

source as (

    select * from "sw_dev_instagram"."raw"."instagram__media"

),

renamed as (

    select
        'instagram'::text as network,
        account_id,
        payload ->> 'id' as post_id,
        (payload ->> 'timestamp')::timestamptz as published_at,
        record_date as published_date,
        case
            when payload ->> 'media_product_type' = 'REELS' then 'reel'
            when payload ->> 'media_product_type' = 'STORY' then 'story'
            else lower(payload ->> 'media_type')
        end as post_type,
        payload ->> 'caption' as post_text,
        payload ->> 'permalink' as permalink,
        load_date,
        load_id,
        extracted_at

    from source

)

select * from renamed