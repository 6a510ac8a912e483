{#- Account metrics, one row per account, day, metric and load day. Insights come in two shapes:
    day series (`values[0].value`) and window totals asked one day at a time
    (`total_value.value`); reading a total_value object as a series would give nulls, so both are
    read. The account object's followers_count is a snapshot dated by its load day. -#}
with

insights as (

    select * from {{ source('instagram', 'account_insights') }}

),

account as (

    select * from {{ source('instagram', 'account') }}

),

insight_metrics as (

    select
        {{ account_metric_row(
            'insights',
            "insights.payload ->> 'name'",
            "coalesce(insights.payload -> 'total_value' -> 'value', insights.payload -> 'values' -> 0 -> 'value')",
        ) }}

    from insights

),

snapshot_metrics as (

    select
        {{ account_metric_row('account', "'followers_count'::text", "account.payload -> 'followers_count'") }}

    from account

),

final as (

    {{ network_contract_rows('instagram', 'account_metrics', ['insight_metrics', 'snapshot_metrics']) }}

)

select * from final
