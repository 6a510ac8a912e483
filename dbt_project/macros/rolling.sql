{#- Sum of `column` over the `days` calendar days ending on the row's day (missing days count
    as nothing; null only when every value in the window is null). Needs a window named
    `by_account` ordered by metric_date. -#}
{% macro rolling_sum(column, days) -%}
    sum({{ column }}) over (
        by_account range between interval '{{ days - 1 }} days' preceding and current row
    )
{%- endmacro %}

{#- The value exactly `days` calendar days before the row's day, null when that day has no row. -#}
{% macro value_days_before(column, days) -%}
    max({{ column }}) over (
        by_account range between interval '{{ days }} days' preceding
        and interval '{{ days }} days' preceding
    )
{%- endmacro %}
