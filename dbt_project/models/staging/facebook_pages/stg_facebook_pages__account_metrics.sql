with

source as (

    select * from {{ source('facebook_pages', 'page_insights') }}

),

insight_metrics as (

    select
        {{ account_metric_row('source', "source.payload ->> 'name'", "source.payload -> 'values' -> 0 -> 'value'") }}

    from source
    -- the connector keeps only the period it asked for; older loads may hold other periods
    where source.payload ->> 'period' = 'day'

),

final as (

    {{ network_contract_rows('facebook_pages', 'account_metrics', ['insight_metrics']) }}

)

select * from final
