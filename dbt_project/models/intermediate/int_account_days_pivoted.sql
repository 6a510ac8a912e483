{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'account_id', 'metric_date'],
    indexes=[
        {'columns': ['network', 'account_id', 'metric_date'], 'unique': true},
        {'columns': ['metric_date']},
    ],
) }}

{#- The network's own account-level metrics mapped onto the unified metrics through the registry
    (macro registry_pivot), one row per account and day. When a retired metric and its
    replacement both have a value for a day, the replacement wins; source metrics registered with
    aggregation `sum` add up (reaction types make up likes). Metrics the registry does not know
    are ignored, and so are `post_delta` rows (int_account_days_from_posts sums those). -#}
with

metrics as (

    select * from {{ ref('int_account_metrics_deduplicated') }}
    {{ incremental_where('metric_date') }}

),

final as (

    {{ registry_pivot(
        'metrics',
        entity='account',
        grain=['network', 'account_id', 'metric_date'],
        unified_metrics=var('account_metrics'),
        aggregations=['sum', 'last'],
    ) }}

)

select * from final
