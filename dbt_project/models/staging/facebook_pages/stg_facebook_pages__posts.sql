with

source as (

    select * from {{ source('facebook_pages', 'posts') }}

),

renamed as (

    select
        account_id,
        payload ->> 'id' as post_id,
        (payload ->> 'created_time')::timestamptz as published_at,
        record_date as published_date,
        case payload ->> 'status_type'
            when 'added_photos' then 'photo'
            when 'added_video' then 'video'
            when 'shared_story' then 'link'
            else 'status'
        end as post_type,
        payload ->> 'message' as post_text,
        payload ->> 'permalink_url' as permalink,
        load_date,
        load_id,
        extracted_at

    from source

),

final as (

    {{ network_contract_rows('facebook_pages', 'posts', ['renamed']) }}

)

select * from final
