{#- A post-hook: refresh the planner's statistics of a table or incremental model (and of a
    seed) as soon as it is built. PostgreSQL's autovacuum analyses new tables only later, and a
    model joined right after it was rebuilt is otherwise planned as if it had one row (a nested
    loop that re-expands every JSON payload per registry metric). Views have no statistics. -#}
{% macro analyze_relation() -%}
    {%- if config.get('materialized') in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
