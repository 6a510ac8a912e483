{#- Union the same staging model of every network in var('networks'), with an explicit column
    list so each network's model must keep the shared contract. -#}
{% macro union_network_models(entity, columns) -%}
    {%- for network in var('networks') %}
    select {{ columns | join(', ') }}
    from {{ ref('stg_' ~ network ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
