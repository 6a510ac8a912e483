{#- Every account that is configured or has data, with its brand. -#}
with

configured as (

    select * from {{ ref('stg_ops__configured_accounts') }}

),

seen as (

    select distinct
        network,
        account_id
    from {{ ref('int_account_days_pivoted') }}

),

final as (

    select
        coalesce(configured.network, seen.network) as network,
        coalesce(configured.account_id, seen.account_id) as account_id,
        coalesce(configured.account_name, seen.account_id) as account_name,
        coalesce(configured.brand_id, 'unassigned') as brand_id,
        coalesce(configured.brand_name, 'Unassigned') as brand_name,
        configured.account_id is not null as is_configured

    from configured
    full outer join seen
        on configured.network = seen.network
        and configured.account_id = seen.account_id

)

select * from final
