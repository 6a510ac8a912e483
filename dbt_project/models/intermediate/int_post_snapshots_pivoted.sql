{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'post_id', 'snapshot_date'],
    indexes=[
        {'columns': ['network', 'post_id', 'snapshot_date'], 'unique': true},
        {'columns': ['snapshot_date']},
    ],
) }}

{#- Lifetime post metrics mapped onto the unified post metrics, one row per post and load day;
    source metrics registered with aggregation `sum` add up (X shares = retweets + quotes). -#}
with

metrics as (

    select * from {{ ref('int_post_metrics_unioned') }}
    {% if is_incremental() -%}
    where snapshot_date >= {{ incremental_cutoff('snapshot_date') }}
    {%- endif %}

),

registry as (

    select * from {{ ref('metric_registry') }}
    where entity = 'post'

),

mapped as (

    select
        metrics.network,
        metrics.account_id,
        metrics.post_id,
        metrics.snapshot_date,
        metrics.extracted_at,
        registry.unified_metric,
        registry.aggregation,
        metrics.metric_value,
        dense_rank() over (
            partition by metrics.network, metrics.post_id, metrics.snapshot_date, registry.unified_metric
            order by (registry.retired_on is null) desc
        ) as preference

    from metrics
    inner join registry
        on metrics.network = registry.network
        and metrics.metric_name = registry.source_metric

),

aggregated as (

    select
        network,
        account_id,
        post_id,
        snapshot_date,
        unified_metric,
        max(extracted_at) as extracted_at,
        case
            when min(aggregation) = 'sum' then sum(metric_value)
            else max(metric_value)
        end as metric_value

    from mapped
    where preference = 1
    group by network, account_id, post_id, snapshot_date, unified_metric

),

final as (

    select
        network,
        account_id,
        post_id,
        snapshot_date,
        max(extracted_at) as extracted_at,
        {{ pivot_metrics(var('post_metrics')) }}

    from aggregated
    group by network, account_id, post_id, snapshot_date

)

select * from final
