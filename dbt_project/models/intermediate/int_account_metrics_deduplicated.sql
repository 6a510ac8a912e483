{{ config(materialized='table', indexes=[
    {'columns': ['network', 'account_id', 'metric_date', 'metric_name'], 'unique': true},
]) }}

{#- Each load re-reads its lookback window, so a day's metric is observed several times while
    the network revises it. The latest load day wins (not the latest clock time: a backfill of
    an old day must not overwrite what a later day's load saw). -#}
with

observations as (

    select * from {{ ref('int_account_metrics_unioned') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by network, account_id, metric_date, metric_name
            order by load_date desc, extracted_at desc
        ) as observation_rank,
        count(*) over (
            partition by network, account_id, metric_date, metric_name
        ) as observations

    from observations

),

final as (

    select
        network,
        account_id,
        metric_date,
        metric_name,
        metric_value,
        observations,
        load_date as last_load_date,
        extracted_at as last_extracted_at

    from ranked
    where observation_rank = 1

)

select * from final
