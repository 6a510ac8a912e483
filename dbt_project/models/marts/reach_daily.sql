{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['metric_date', 'network', 'account_id'],
    indexes=[{'columns': ['metric_date', 'network', 'account_id'], 'unique': true}],
) }}

{#- Reach and impressions per account and day, with 7- and 28-day rolling sums and day-over-day
    and week-over-week changes. Rolling sums add daily values: they are not unique people. -#}
with

account_days as (

    select * from {{ ref('account_daily') }}
    {% if is_incremental() -%}
    {#- rolling windows need the 27 days before the first rebuilt day -#}
    where metric_date >= {{ incremental_cutoff('metric_date', 27) }}
    {%- endif %}

),

windowed as (

    select
        metric_date,
        network,
        account_id,
        brand_id,
        reach,
        impressions,
        {{ safe_divide('impressions', 'reach', 4) }} as frequency,
        {{ rolling_sum('reach', 7) }} as reach_7d,
        {{ rolling_sum('reach', 28) }} as reach_28d,
        {{ rolling_sum('impressions', 7) }} as impressions_7d,
        {{ rolling_sum('impressions', 28) }} as impressions_28d,
        {{ value_days_before('reach', 1) }} as reach_previous_day,
        {{ value_days_before('reach', 7) }} as reach_week_before,
        {{ value_days_before('impressions', 1) }} as impressions_previous_day,
        {{ value_days_before('impressions', 7) }} as impressions_week_before

    from account_days
    window by_account as (partition by network, account_id order by metric_date)

),

final as (

    select
        metric_date,
        network,
        account_id,
        brand_id,
        reach,
        impressions,
        frequency,
        reach_7d,
        reach_28d,
        impressions_7d,
        impressions_28d,
        reach - reach_previous_day as reach_change_dod,
        {{ safe_divide('reach - reach_previous_day', 'reach_previous_day', 4) }} as reach_change_dod_pct,
        reach - reach_week_before as reach_change_wow,
        {{ safe_divide('reach - reach_week_before', 'reach_week_before', 4) }} as reach_change_wow_pct,
        impressions - impressions_previous_day as impressions_change_dod,
        {{ safe_divide('impressions - impressions_previous_day', 'impressions_previous_day', 4) }}
            as impressions_change_dod_pct,
        impressions - impressions_week_before as impressions_change_wow,
        {{ safe_divide('impressions - impressions_week_before', 'impressions_week_before', 4) }}
            as impressions_change_wow_pct

    from windowed
    {% if is_incremental() -%}
    where metric_date >= {{ incremental_cutoff('metric_date') }}
    {%- endif %}

)

select * from final
