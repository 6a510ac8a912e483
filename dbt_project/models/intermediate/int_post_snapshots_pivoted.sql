{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'post_id', 'snapshot_date'],
    indexes=[
        {'columns': ['network', 'post_id', 'snapshot_date'], 'unique': true},
        {'columns': ['snapshot_date']},
    ],
) }}

{#- Lifetime post metrics mapped onto the unified post metrics through the registry (macro
    registry_pivot), one row per post and load day; source metrics registered with aggregation
    `sum` add up (X shares = retweets + quotes). -#}
with

metrics as (

    select * from {{ ref('int_post_metrics_unioned') }}
    {{ incremental_where('snapshot_date') }}

),

final as (

    {{ registry_pivot(
        'metrics',
        entity='post',
        grain=['network', 'account_id', 'post_id', 'snapshot_date'],
        unified_metrics=var('post_metrics'),
        carry_max=['extracted_at'],
    ) }}

)

select * from final
