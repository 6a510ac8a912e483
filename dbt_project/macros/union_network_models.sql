{#- Union the same staging model of every network in var('networks'), with an explicit column
    list (the staging contract, macro staging_columns) so each network's model must keep it. -#}
{% macro union_network_models(entity) -%}
    {%- for network in var('networks') %}
    select {{ staging_columns(entity) | join(', ') }}
    from {{ ref('stg_' ~ network ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
