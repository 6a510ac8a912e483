{#- The staging contract: the columns, in order, of every network's stg_<network>__<entity> model
    (account_metrics, post_metrics, posts), which the unified intermediate models union. -#}
{% macro staging_columns(entity) -%}
    {%- set contract = {
        'account_metrics': [
            'network', 'account_id', 'metric_date', 'metric_name', 'metric_value',
            'load_date', 'load_id', 'extracted_at',
        ],
        'post_metrics': [
            'network', 'account_id', 'post_id', 'snapshot_date', 'metric_name', 'metric_value',
            'load_id', 'extracted_at',
        ],
        'posts': [
            'network', 'account_id', 'post_id', 'published_at', 'published_date', 'post_type',
            'post_text', 'permalink', 'load_date', 'load_id', 'extracted_at',
        ],
    } -%}
    {{ return(contract[entity]) }}
{%- endmacro %}

{#- A network's rows in the staging contract of `entity`: the CTEs in `relations` (each with every
    contract column but `network`) unioned by column name, the network's name in front. -#}
{% macro network_contract_rows(network, entity, relations) -%}
    {%- for relation in relations %}
    select
        '{{ network }}'::text as network,
        {{ staging_columns(entity)[1:] | join(',\n        ') }}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- One account metric observation of a raw row of `relation` (a raw table: account_id,
    record_date, payload, load_date, load_id, extracted_at): the day it describes, the metric's
    native name (`metric_name`, an SQL expression) and its value (`value`, a jsonb expression,
    read by metric_value). -#}
{% macro account_metric_row(relation, metric_name, value) -%}
    {{ relation }}.account_id,
        {{ relation }}.record_date as metric_date,
        {{ metric_name }} as metric_name,
        {{ metric_value(value) }} as metric_value,
        {{ relation }}.load_date,
        {{ relation }}.load_id,
        {{ relation }}.extracted_at
{%- endmacro %}

{#- One lifetime post metric observation of a raw row of `relation`: the post (`post_id`, by
    default the raw row's record_key), the load day whose snapshot it is, the metric's native name
    (an SQL expression) and its value (a jsonb expression, read by metric_value). -#}
{% macro post_metric_row(relation, metric_name, value, post_id='record_key') -%}
    {{ relation }}.account_id,
        {{ relation }}.{{ post_id }} as post_id,
        {{ relation }}.load_date as snapshot_date,
        {{ metric_name }} as metric_name,
        {{ metric_value(value) }} as metric_value,
        {{ relation }}.load_id,
        {{ relation }}.extracted_at
{%- endmacro %}
