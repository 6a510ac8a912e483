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
    {#- rolling windows need the 27 days before the first rebuilt day -#}
    {{ incremental_where('metric_date', extra_days=27) }}

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
        {{ change_columns('reach') }},
        {{ change_columns('impressions') }}

    from account_days
    window by_account as (partition by network, account_id order by metric_date)

),

final as (

    {#- the windows are computed over the extra days first, then only the rebuilt days are kept -#}
    select * from windowed
    {{ incremental_where('metric_date') }}

)

select * from final
