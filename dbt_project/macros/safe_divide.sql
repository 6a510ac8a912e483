{#- numerator / denominator, null when the denominator is 0 or null (a rate over nothing is
    unknown, not zero). -#}
{% macro safe_divide(numerator, denominator, scale=6) -%}
    round(({{ numerator }})::numeric / nullif(({{ denominator }})::numeric, 0), {{ scale }})
{%- endmacro %}
