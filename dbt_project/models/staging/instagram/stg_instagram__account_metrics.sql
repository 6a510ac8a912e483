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
        account_id,
        record_date as metric_date,
        payload ->> 'name' as metric_name,
        {{ metric_value("coalesce(payload -> 'total_value' -> 'value', payload -> 'values' -> 0 -> 'value')") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from insights

),

snapshot_metrics as (

    select
        account_id,
        record_date as metric_date,
        'followers_count'::text as metric_name,
        {{ metric_value("payload -> 'followers_count'") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from account

),

unioned as (

    select * from insight_metrics
    union all
    select * from snapshot_metrics

),

final as (

    select
        'instagram'::text as network,
        account_id,
        metric_date,
        metric_name,
        metric_value,
        load_date,
        load_id,
        extracted_at

    from unioned

)

select * from final
