{#- One row per account: configured or seen in the data, its brand, and its latest followers. -#}
with

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

activity as (

    select
        network,
        account_id,
        min(metric_date) as first_metric_date,
        max(metric_date) as last_metric_date,
        (array_agg(followers order by metric_date desc) filter (where followers is not null))[1]
            as latest_followers

    from {{ ref('account_daily') }}
    group by network, account_id

),

final as (

    select
        accounts.network,
        accounts.account_id,
        accounts.account_name,
        accounts.brand_id,
        accounts.brand_name,
        accounts.is_configured,
        activity.first_metric_date,
        activity.last_metric_date,
        activity.latest_followers

    from accounts
    left join activity
        on accounts.network = activity.network
        and accounts.account_id = activity.account_id

)

select * from final
