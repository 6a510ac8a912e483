{#- Channel metrics, one row per channel, day, metric and load day. Report cells are read
    through their column headers (position n of `row` is header n), never by a fixed position.
    The subscriber count comes from the channel snapshot, dated on its load day. -#}
with

daily as (

    select * from {{ source('youtube', 'channel_daily') }}

),

channel as (

    select * from {{ source('youtube', 'channel') }}

),

report_cells as (

    select
        daily.account_id,
        daily.record_date as metric_date,
        col.header ->> 'name' as metric_name,
        {{ metric_value("daily.payload -> 'row' -> (col.position - 1)::int") }} as metric_value,
        daily.load_date,
        daily.load_id,
        daily.extracted_at

    from daily
    cross join lateral jsonb_array_elements(daily.payload -> 'columnHeaders') with ordinality as col (header, position)
    where col.header ->> 'columnType' = 'METRIC'

),

subscribers as (

    select
        account_id,
        record_date as metric_date,
        'subscriberCount'::text as metric_name,
        {{ metric_value("payload -> 'statistics' -> 'subscriberCount'") }} as metric_value,
        load_date,
        load_id,
        extracted_at

    from channel
    where payload -> 'statistics' ? 'subscriberCount'

),

unioned as (

    select * from report_cells
    union all
    select * from subscribers

),

final as (

    select
        'youtube'::text as network,
        account_id,
        metric_date,
        metric_name,
        metric_value,
        load_date,
        load_id,
        extracted_at

    from unioned

)

select * from final
