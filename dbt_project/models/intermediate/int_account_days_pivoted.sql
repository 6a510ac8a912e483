{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'account_id', 'metric_date'],
    indexes=[
        {'columns': ['network', 'account_id', 'metric_date'], 'unique': true},
        {'columns': ['metric_date']},
    ],
) }}

{#- The network's own account-level metrics mapped onto the unified metrics through the registry,
    one row per account and day. When a retired metric and its replacement both have a value for
    a day, the replacement wins; source metrics registered with aggregation `sum` add up (reaction
    types make up likes). Metrics the registry does not know are ignored. -#}
with

metrics as (

    select * from {{ ref('int_account_metrics_deduplicated') }}
    {% if is_incremental() -%}
    where metric_date >= {{ incremental_cutoff('metric_date') }}
    {%- endif %}

),

registry as (

    select * from {{ ref('metric_registry') }}
    where entity = 'account' and aggregation in ('sum', 'last')

),

mapped as (

    select
        metrics.network,
        metrics.account_id,
        metrics.metric_date,
        registry.unified_metric,
        registry.aggregation,
        metrics.metric_value,
        dense_rank() over (
            partition by metrics.network, metrics.account_id, metrics.metric_date, registry.unified_metric
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
        metric_date,
        unified_metric,
        case
            when min(aggregation) = 'sum' then sum(metric_value)
            else max(metric_value)
        end as metric_value

    from mapped
    where preference = 1
    group by network, account_id, metric_date, unified_metric

),

final as (

    select
        network,
        account_id,
        metric_date,
        {{ pivot_metrics(var('account_metrics')) }}

    from aggregated
    group by network, account_id, metric_date

)

select * from final
