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
        {{ account_metric_row('daily', "col.header ->> 'name'", "daily.payload -> 'row' -> (col.position - 1)::int") }}

    from daily
    cross join lateral jsonb_array_elements(daily.payload -> 'columnHeaders') with ordinality as col (header, position)
    where col.header ->> 'columnType' = 'METRIC'

),

subscribers as (

    select
        {{ account_metric_row(
            'channel', "'subscriberCount'::text", "channel.payload -> 'statistics' -> 'subscriberCount'"
        ) }}

    from channel
    where channel.payload -> 'statistics' ? 'subscriberCount'

),

final as (

    {{ network_contract_rows('youtube', 'account_metrics', ['report_cells', 'subscribers']) }}

)

select * from final
