{#- The first date an incremental run rebuilds: the target's latest date minus the lookback.
    The lookback must cover the longest extraction lookback (days a network keeps revising), or
    revised values of older days never reach the mart. -#}
{% macro incremental_cutoff(date_column, extra_days=0) -%}
    (
        select coalesce(max({{ date_column }}), date '1900-01-01')
            - {{ var('incremental_lookback_days') | int + extra_days | int }}
        from {{ this }}
    )
{%- endmacro %}

{#- The filter of an incremental model's input: `where <column> >= incremental_cutoff(...)` in an
    incremental run (the cutoff read from `this_column` of the model, by default `column`),
    nothing in a full build. -#}
{% macro incremental_where(column, this_column=none, extra_days=0) -%}
    {%- if is_incremental() -%}
        where {{ column }} >= {{ incremental_cutoff(this_column or column, extra_days) }}
    {%- endif -%}
{%- endmacro %}
