with

source as (

    select * from {{ source('youtube', 'videos') }}

),

renamed as (

    select
        account_id,
        payload -> 'contentDetails' ->> 'videoId' as post_id,
        (payload -> 'contentDetails' ->> 'videoPublishedAt')::timestamptz as published_at,
        record_date as published_date,
        'video'::text as post_type,
        payload -> 'snippet' ->> 'title' as post_text,
        'https://www.youtube.com/watch?v=' || (payload -> 'contentDetails' ->> 'videoId') as permalink,
        load_date,
        load_id,
        extracted_at

    from source

),

final as (

    {{ network_contract_rows('youtube', 'posts', ['renamed']) }}

)

select * from final
