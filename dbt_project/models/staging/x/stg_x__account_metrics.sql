{#- The user object's counters, one row per account, load day and counter. They are totals
    read when the load ran, so metric_date is the load's day (the last closed day). X has no
    account-level daily analytics: impressions and engagements come from the posts. -#}
with

source as (

    select * from {{ source('x', 'users') }}

),

unnested as (

    select
        {{ account_metric_row('source', 'metric.key', 'metric.value') }}

    from source
    cross join lateral jsonb_each(
        case
            when jsonb_typeof(source.payload -> 'public_metrics') = 'object'
                then source.payload -> 'public_metrics'
        end
    ) as metric (key, value)

),

final as (

    {{ network_contract_rows('x', 'account_metrics', ['unnested']) }}

)

select * from final
