with

source as (

    select * from "sw_dev_x"."raw"."x__tweets"

),

renamed as (

    select
        'x'::text as network,
        account_id,
        payload ->> 'id' as post_id,
        (payload ->> 'created_at')::timestamptz as published_at,
        record_date as published_date,
        case
            when split_part(payload -> 'attachments' -> 'media_keys' ->> 0, '_', 1) in ('7', '13')
                then 'video'
            when split_part(payload -> 'attachments' -> 'media_keys' ->> 0, '_', 1) in ('3', '16')
                then 'photo'
            when jsonb_array_length(coalesce(payload -> 'entities' -> 'urls', '[]'::jsonb)) > 0
                then 'link'
            else 'status'
        end as post_type,
        payload ->> 'text' as post_text,
        'https://x.com/i/web/status/' || (payload ->> 'id') as permalink,
        load_date,
        load_id,
        extracted_at

    from source

)

select * from renamed