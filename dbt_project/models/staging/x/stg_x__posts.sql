{#- One row per tweet and load day that saw it. The post type comes from the media key prefix
    (3 photo, 7 video, 13 amplify video, 16 animated GIF) or, without media, from a link. -#}
with

source as (

    select * from {{ source('x', 'tweets') }}

),

renamed as (

    select
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

),

final as (

    {{ network_contract_rows('x', 'posts', ['renamed']) }}

)

select * from final
