{{ config(materialized='table') }}

{#- For every network and unified account metric: where its value comes from. `account` = the
    network's own account-level metric; `post_growth` = the sum of the account's posts' daily
    growth (registry aggregation post_delta, for networks without account-level analytics);
    `engagement_definition` = the sum of the network's engagement components; `none` = the
    network does not provide it (the mart value is null and its availability flag false). -#}
with

registry as (

    select * from {{ ref('metric_registry') }}
    where entity = 'account'

),

definitions as (

    select * from {{ ref('engagement_definitions') }}

),

networks as (

    select distinct network from registry

),

metrics as (

    {% for metric in var('account_metrics') -%}
    select '{{ metric }}'::text as unified_metric
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

sources as (

    select
        network,
        unified_metric,
        case
            when bool_or(aggregation in ('sum', 'last')) then 'account'
            when bool_or(aggregation = 'post_delta') then 'post_growth'
        end as source_kind

    from registry
    where retired_on is null
    group by network, unified_metric

),

final as (

    select
        networks.network,
        metrics.unified_metric,
        case
            when sources.source_kind is not null then sources.source_kind
            when metrics.unified_metric = 'engagements'
                and exists (
                    select 1 from definitions
                    where definitions.network = networks.network and definitions.component <> 'native'
                )
                then 'engagement_definition'
            else 'none'
        end as source_kind

    from networks
    cross join metrics
    left join sources
        on networks.network = sources.network
        and metrics.unified_metric = sources.unified_metric

)

select * from final
