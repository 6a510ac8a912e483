{#- A metric value as the APIs send it, as numeric: a number stays a number; a breakdown object
    ({"paid": 3, "unpaid": 2, "total": 5} or {"like": 7, "love": 2}) becomes its `total`, or the
    sum of its parts when it has none; anything else is null. -#}
{% macro metric_value(json_expr) -%}
    case jsonb_typeof({{ json_expr }})
        when 'number' then ({{ json_expr }})::numeric
        when 'string' then case when ({{ json_expr }} #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then ({{ json_expr }} #>> '{}')::numeric end
        when 'object' then coalesce(
            ({{ json_expr }} ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text({{ json_expr }}) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end
{%- endmacro %}
