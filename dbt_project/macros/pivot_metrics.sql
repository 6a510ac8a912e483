{#- One column per unified metric from long rows (unified_metric, metric_value). -#}
{% macro pivot_metrics(metrics, name_column='unified_metric', value_column='metric_value') -%}
    {%- for metric in metrics %}
    max(case when {{ name_column }} = '{{ metric }}' then {{ value_column }} end) as {{ metric }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Native metric rows (`relation`: grain columns, metric_name, metric_value) mapped onto the unified
    metrics through the metric registry rows of `entity`, one row per `grain` and one column per
    unified metric. Only registry rows whose aggregation is in `aggregations` map (all when none);
    metrics the registry does not know are ignored. When a retired source metric and its
    replacement both have a value, the replacement wins; source metrics registered with
    aggregation `sum` add up (reaction types make up likes), the others keep their value.
    `carry_max` columns come along as their latest (max) value. -#}
{% macro registry_pivot(relation, entity, grain, unified_metrics, aggregations=none, carry_max=[]) -%}
    {%- set key = grain | join(', ') %}
    with

    registry as (

        select * from {{ ref('metric_registry') }}
        where entity = '{{ entity }}'
        {%- if aggregations %}
            and aggregation in ('{{ aggregations | join("', '") }}')
        {%- endif %}

    ),

    mapped as (

        select
            {%- for column in grain + carry_max %}
            {{ relation }}.{{ column }},
            {%- endfor %}
            registry.unified_metric,
            registry.aggregation,
            {{ relation }}.metric_value,
            dense_rank() over (
                partition by {{ relation }}.{{ grain | join(', ' ~ relation ~ '.') }}, registry.unified_metric
                order by (registry.retired_on is null) desc
            ) as preference

        from {{ relation }}
        inner join registry
            on {{ relation }}.network = registry.network
            and {{ relation }}.metric_name = registry.source_metric

    ),

    aggregated as (

        select
            {{ key }},
            unified_metric,
            {%- for column in carry_max %}
            max({{ column }}) as {{ column }},
            {%- endfor %}
            case
                when min(aggregation) = 'sum' then sum(metric_value)
                else max(metric_value)
            end as metric_value

        from mapped
        where preference = 1
        group by {{ key }}, unified_metric

    ),

    pivoted as (

        select
            {{ key }},
            {%- for column in carry_max %}
            max({{ column }}) as {{ column }},
            {%- endfor %}
            {{ pivot_metrics(unified_metrics) }}

        from aggregated
        group by {{ key }}

    )

    select * from pivoted
{%- endmacro %}
