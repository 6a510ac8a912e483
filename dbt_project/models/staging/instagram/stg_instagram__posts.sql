{#- Instagram media as posts. A reel's media_type is VIDEO; its media_product_type says REELS. -#}
with

source as (

    select * from {{ source('instagram', 'media') }}

),

renamed as (

    select
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

),

final as (

    {{ network_contract_rows('instagram', 'posts', ['renamed']) }}

)

select * from final
