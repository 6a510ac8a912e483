{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['metric_date', 'network', 'account_id'],
    indexes=[{'columns': ['metric_date', 'network', 'account_id'], 'unique': true}],
) }}

{#- Engagements per account and day by type, the rates, 7- and 28-day rolling sums and
    day-over-day and week-over-week changes. -#}
with

account_days as (

    select * from {{ ref('account_daily') }}
    {% if is_incremental() -%}
    where metric_date >= {{ incremental_cutoff('metric_date', 27) }}
    {%- endif %}

),

windowed as (

    select
        metric_date,
        network,
        account_id,
        brand_id,
        engagements,
        likes,
        comments,
        shares,
        saves,
        clicks,
        reach,
        impressions,
        followers,
        engagement_rate_by_reach,
        engagement_rate_by_impressions,
        engagement_rate_by_followers,
        {{ rolling_sum('engagements', 7) }} as engagements_7d,
        {{ rolling_sum('engagements', 28) }} as engagements_28d,
        {{ rolling_sum('reach', 7) }} as reach_7d,
        {{ rolling_sum('impressions', 7) }} as impressions_7d,
        {{ value_days_before('engagements', 1) }} as engagements_previous_day,
        {{ value_days_before('engagements', 7) }} as engagements_week_before

    from account_days
    window by_account as (partition by network, account_id order by metric_date)

),

final as (

    select
        metric_date,
        network,
        account_id,
        brand_id,
        engagements,
        likes,
        comments,
        shares,
        saves,
        clicks,
        reach,
        impressions,
        engagement_rate_by_reach,
        engagement_rate_by_impressions,
        engagement_rate_by_followers,
        engagements_7d,
        engagements_28d,
        {{ safe_divide('engagements_7d', 'impressions_7d') }} as engagement_rate_by_impressions_7d,
        engagements - engagements_previous_day as engagements_change_dod,
        {{ safe_divide('engagements - engagements_previous_day', 'engagements_previous_day', 4) }}
            as engagements_change_dod_pct,
        engagements - engagements_week_before as engagements_change_wow,
        {{ safe_divide('engagements - engagements_week_before', 'engagements_week_before', 4) }}
            as engagements_change_wow_pct

    from windowed
    {% if is_incremental() -%}
    where metric_date >= {{ incremental_cutoff('metric_date') }}
    {%- endif %}

)

select * from final
