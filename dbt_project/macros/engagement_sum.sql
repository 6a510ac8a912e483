{#- Engagements of a row by its network's definition (seed engagement_definitions, components
    applying to `scope`): the sum of the components, null when any component is unknown.
    `prefix` names the columns (e.g. 'lifetime_' for post_daily). -#}
{% macro engagement_sum(network_column, scope, prefix='', relation_alias='') -%}
    {%- set components = ['likes', 'comments', 'shares', 'saves', 'clicks'] -%}
    {%- set col = (relation_alias ~ '.') if relation_alias else '' -%}
    (
        select
            case
                when count(*) = 0 then null
                when bool_and(parts.value is not null) then sum(parts.value)
            end
        from {{ ref('engagement_definitions') }} as definitions
        inner join (
            values
            {% for component in components -%}
            ('{{ component }}', {{ col }}{{ prefix }}{{ component }}){% if not loop.last %},{% endif %}
            {% endfor %}
        ) as parts (component, value)
            on definitions.component = parts.component
        where definitions.network = {{ network_column }}
            and definitions.applies_to in ('{{ scope }}', 'both')
    )
{%- endmacro %}
