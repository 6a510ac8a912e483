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
