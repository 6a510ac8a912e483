{#- Lifetime post statistics, one row per post, load day and field of totalShareStatistics. -#}
with

source as (

    select * from {{ source('linkedin', 'post_statistics') }}

),

unnested as (

    select
        {{ post_metric_row('source', 'stat.name', 'stat.value') }}

    from source
    cross join lateral jsonb_each(source.payload -> 'totalShareStatistics') as stat (name, value)

),

final as (

    {{ network_contract_rows('linkedin', 'post_metrics', ['unnested']) }}

)

select * from final
