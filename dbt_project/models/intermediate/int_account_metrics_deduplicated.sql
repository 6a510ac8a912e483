{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'account_id', 'metric_date', 'metric_name'],
    indexes=[
        {'columns': ['network', 'account_id', 'metric_date', 'metric_name'], 'unique': true},
        {'columns': ['metric_date']},
    ],
) }}

{#- Each load re-reads its lookback window, so a day's metric is observed several times while the
    network revises it. Keep the latest load day's value (not the latest clock time: a backfill
    of an old day must not overwrite what a later day's load saw), the first value reported, and
    the load day from which the value stopped changing. Incremental runs rebuild the metric days
    inside the lookback, from every observation of those days. -#}
with

observations as (

    select * from {{ ref('int_account_metrics_unioned') }}
    {{ incremental_where('metric_date') }}

),

ranked as (

    select
        *,
        row_number() over latest_first as latest_rank,
        first_value(metric_value) over earliest_first as first_metric_value,
        min(load_date) over whole_history as first_load_date,
        count(*) over whole_history as observations

    from observations
    window
        latest_first as (
            partition by network, account_id, metric_date, metric_name
            order by load_date desc, extracted_at desc
        ),
        earliest_first as (
            partition by network, account_id, metric_date, metric_name
            order by load_date asc, extracted_at asc
        ),
        whole_history as (partition by network, account_id, metric_date, metric_name)

),

latest as (

    select * from ranked
    where latest_rank = 1

),

settled as (

    {#- the first load day after which every observation equals the final value -#}
    select
        observations.network,
        observations.account_id,
        observations.metric_date,
        observations.metric_name,
        min(observations.load_date) as settled_on

    from observations
    inner join latest
        on observations.network = latest.network
        and observations.account_id = latest.account_id
        and observations.metric_date = latest.metric_date
        and observations.metric_name = latest.metric_name
    where
        not exists (
            select 1
            from observations as later
            where later.network = observations.network
                and later.account_id = observations.account_id
                and later.metric_date = observations.metric_date
                and later.metric_name = observations.metric_name
                and later.load_date >= observations.load_date
                and later.metric_value is distinct from latest.metric_value
        )
    group by 1, 2, 3, 4

),

final as (

    select
        latest.network,
        latest.account_id,
        latest.metric_date,
        latest.metric_name,
        latest.metric_value,
        latest.first_metric_value,
        latest.first_load_date,
        settled.settled_on,
        latest.observations,
        latest.load_date as last_load_date,
        latest.extracted_at as last_extracted_at

    from latest
    left join settled
        on latest.network = settled.network
        and latest.account_id = settled.account_id
        and latest.metric_date = settled.metric_date
        and latest.metric_name = settled.metric_name

)

select * from final
