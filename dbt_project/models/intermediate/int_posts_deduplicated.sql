{{ config(materialized='table', indexes=[
    {'columns': ['network', 'post_id'], 'unique': true},
]) }}

{#- One row per post with its attributes as the latest load saw them. -#}
with

observations as (

    select * from {{ ref('int_posts_unioned') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by network, post_id order by load_date desc, extracted_at desc
        ) as observation_rank,
        min(load_date) over (partition by network, post_id) as first_seen_date

    from observations

),

final as (

    select
        network,
        account_id,
        post_id,
        published_at,
        published_date,
        post_type,
        post_text,
        permalink,
        first_seen_date,
        load_date as last_seen_date

    from ranked
    where observation_rank = 1

)

select * from final
