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

{#- Day-over-day and week-over-week change of `column`, absolute and as a fraction of the earlier
    value (null when that is 0 or missing): `<column>_change_dod`, `_dod_pct`, `_wow`, `_wow_pct`.
    Needs the window `by_account` (value_days_before). -#}
{% macro change_columns(column) -%}
    {%- for suffix, days in [('dod', 1), ('wow', 7)] %}
        {%- set earlier = value_days_before(column, days) %}
        {{ column }} - {{ earlier }} as {{ column }}_change_{{ suffix }},
        {{ safe_divide(column ~ ' - ' ~ earlier, earlier, 4) }} as {{ column }}_change_{{ suffix }}_pct
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
