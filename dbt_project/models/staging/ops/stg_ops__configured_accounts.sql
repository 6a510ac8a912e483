with

source as (

    select * from {{ source('ops', 'configured_accounts') }}

),

renamed as (

    select
        network,
        account_id,
        account_name,
        brand_id,
        brand_name,
        synced_at

    from source

)

select * from renamed
