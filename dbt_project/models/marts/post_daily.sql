{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'post_id', 'metric_date'],
    indexes=[
        {'columns': ['network', 'post_id', 'metric_date'], 'unique': true},
        {'columns': ['metric_date']},
    ],
) }}

{#- One row per post and load day while the post is inside the post lookback window: its
    lifetime metrics as that day's load saw them, the day's growth, and engagements by the
    network's post-level definition. -#}
with

post_days as (

    select * from {{ ref('int_post_days_differenced') }}
    {{ incremental_where('metric_date') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

with_engagements as (

    select
        post_days.*,
        {{ engagement_sum('post_days.network', 'post', 'lifetime_', 'post_days') }} as lifetime_engagements,
        {{ engagement_sum('post_days.network', 'post', 'delta_', 'post_days') }} as delta_engagements

    from post_days

),

final as (

    select
        with_engagements.network,
        with_engagements.post_id,
        with_engagements.metric_date,
        with_engagements.account_id,
        accounts.brand_id,
        with_engagements.published_at,
        with_engagements.post_type,
        with_engagements.metric_date - with_engagements.published_date as days_since_published,
        with_engagements.growth_basis,
        {% for metric in var('post_metrics') -%}
        with_engagements.lifetime_{{ metric }},
        with_engagements.delta_{{ metric }},
        {% endfor -%}
        with_engagements.lifetime_engagements,
        with_engagements.delta_engagements,
        {{ safe_divide('with_engagements.lifetime_engagements', 'with_engagements.lifetime_reach') }}
            as engagement_rate_by_reach,
        {{ safe_divide('with_engagements.lifetime_engagements', 'with_engagements.lifetime_impressions') }}
            as engagement_rate_by_impressions

    from with_engagements
    inner join accounts
        on with_engagements.network = accounts.network
        and with_engagements.account_id = accounts.account_id

)

select * from final
