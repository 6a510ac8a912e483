{{ config(indexes=[{'columns': ['metric_date', 'network', 'account_id'], 'unique': true}]) }}

with

account_days as (

    select * from {{ ref('int_account_days_pivoted') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

final as (

    select
        account_days.metric_date,
        account_days.network,
        account_days.account_id,
        accounts.brand_id,
        account_days.reach,
        account_days.impressions,
        {{ safe_divide('account_days.impressions', 'account_days.reach', 4) }} as frequency

    from account_days
    inner join accounts
        on account_days.network = accounts.network
        and account_days.account_id = accounts.account_id

)

select * from final
