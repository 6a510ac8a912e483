{#- One column per unified metric from long rows (unified_metric, metric_value). -#}
{% macro pivot_metrics(metrics, name_column='unified_metric', value_column='metric_value') -%}
    {%- for metric in metrics %}
    max(case when {{ name_column }} = '{{ metric }}' then {{ value_column }} end) as {{ metric }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
