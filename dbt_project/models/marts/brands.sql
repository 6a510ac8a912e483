{#- One row per brand with the accounts and networks it covers. -#}
with

accounts as (

    select * from {{ ref('accounts') }}

),

final as (

    select
        brand_id,
        max(brand_name) as brand_name,
        count(*) as accounts,
        count(*) filter (where is_configured) as configured_accounts,
        string_agg(distinct network, ', ' order by network) as networks,
        sum(latest_followers) as latest_followers

    from accounts
    group by brand_id

)

select * from final
