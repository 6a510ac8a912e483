{#- LinkedIn posts carry no type field: the type follows from `content` (none = text; a media
    id's URN kind tells image, video and document apart). LinkedIn has no permalink field either:
    the public URL is built from the post URN. -#}
with

source as (

    select * from {{ source('linkedin', 'posts') }}

),

renamed as (

    select
        account_id,
        payload ->> 'id' as post_id,
        to_timestamp((payload ->> 'publishedAt')::numeric / 1000) as published_at,
        record_date as published_date,
        case
            when payload -> 'content' is null then 'text'
            when payload -> 'content' -> 'article' is not null then 'article'
            when payload -> 'content' -> 'multiImage' is not null then 'image'
            when payload -> 'content' -> 'poll' is not null then 'poll'
            when payload -> 'content' -> 'media' ->> 'id' like 'urn:li:video:%' then 'video'
            when payload -> 'content' -> 'media' ->> 'id' like 'urn:li:image:%' then 'image'
            when payload -> 'content' -> 'media' ->> 'id' like 'urn:li:document:%' then 'document'
            else 'other'
        end as post_type,
        payload ->> 'commentary' as post_text,
        'https://www.linkedin.com/feed/update/' || (payload ->> 'id') || '/' as permalink,
        load_date,
        load_id,
        extracted_at

    from source

),

final as (

    {{ network_contract_rows('linkedin', 'posts', ['renamed']) }}

)

select * from final
