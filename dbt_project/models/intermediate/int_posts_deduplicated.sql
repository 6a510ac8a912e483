{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'post_id'],
    indexes=[
        {'columns': ['network', 'post_id'], 'unique': true},
        {'columns': ['last_seen_date']},
    ],
) }}

{#- One row per post with its attributes as the latest load saw them. Incremental runs rebuild
    the posts seen by recent loads and keep the first day an earlier run saw them. -#}
with

observations as (

    select * from {{ ref('int_posts_unioned') }}
    {{ incremental_where('load_date', 'last_seen_date') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by network, post_id order by load_date desc, extracted_at desc
        ) as observation_rank,
        min(load_date) over (partition by network, post_id) as first_seen_in_batch

    from observations

),

{% if is_incremental() -%}
previously as (

    select
        network,
        post_id,
        first_seen_date
    from {{ this }}

),
{%- endif %}

final as (

    select
        ranked.network,
        ranked.account_id,
        ranked.post_id,
        ranked.published_at,
        ranked.published_date,
        ranked.post_type,
        ranked.post_text,
        ranked.permalink,
        {% if is_incremental() -%}
        least(ranked.first_seen_in_batch, previously.first_seen_date) as first_seen_date,
        {%- else -%}
        ranked.first_seen_in_batch as first_seen_date,
        {%- endif %}
        ranked.load_date as last_seen_date

    from ranked
    {% if is_incremental() -%}
    left join previously
        on ranked.network = previously.network
        and ranked.post_id = previously.post_id
    {%- endif %}
    where ranked.observation_rank = 1

)

select * from final
