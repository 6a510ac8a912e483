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
    {#- rolling windows need the 27 days before the first rebuilt day -#}
    {{ incremental_where('metric_date', extra_days=27) }}

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
        engagement_rate_by_reach,
        engagement_rate_by_impressions,
        engagement_rate_by_followers,
        {{ rolling_sum('engagements', 7) }} as engagements_7d,
        {{ rolling_sum('engagements', 28) }} as engagements_28d,
        {{ safe_divide(rolling_sum('engagements', 7), rolling_sum('impressions', 7)) }}
            as engagement_rate_by_impressions_7d,
        {{ change_columns('engagements') }}

    from account_days
    window by_account as (partition by network, account_id order by metric_date)

),

final as (

    {#- the windows are computed over the extra days first, then only the rebuilt days are kept -#}
    select * from windowed
    {{ incremental_where('metric_date') }}

)

select * from final
