{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'post_id', 'metric_date'],
    indexes=[
        {'columns': ['network', 'post_id', 'metric_date'], 'unique': true},
        {'columns': ['network', 'account_id', 'metric_date']},
    ],
) }}

{#- Each post snapshot with the day's growth of every lifetime metric. The growth is today's
    snapshot minus yesterday's; on the publishing day it is the whole lifetime value (the post
    grew from nothing); after a missed day it is null (two days of growth cannot be put on one
    day). -#}
with

snapshots as (

    select * from {{ ref('int_post_snapshots_pivoted') }}
    {#- the previous snapshot of the first rebuilt day is one day older -#}
    {{ incremental_where('snapshot_date', 'metric_date', extra_days=1) }}

),

posts as (

    select * from {{ ref('int_posts_deduplicated') }}

),

with_previous as (

    select
        snapshots.*,
        {% for metric in var('post_metrics') -%}
        lag(snapshots.{{ metric }}) over by_post as previous_{{ metric }},
        {% endfor -%}
        lag(snapshots.snapshot_date) over by_post as previous_snapshot_date

    from snapshots
    window by_post as (partition by snapshots.network, snapshots.post_id order by snapshots.snapshot_date)

),

final as (

    select
        with_previous.network,
        with_previous.account_id,
        with_previous.post_id,
        with_previous.snapshot_date as metric_date,
        posts.published_at,
        posts.published_date,
        posts.post_type,
        case
            when with_previous.previous_snapshot_date = with_previous.snapshot_date - 1 then 'previous_day'
            when posts.published_date = with_previous.snapshot_date then 'published_today'
            else 'unknown'
        end as growth_basis,
        {#- the last when clause stays on one line: sqlfluff (LT02) mis-indents a loop whose case
            ends in a hanging then #}
        {% for metric in var('post_metrics') -%}
        with_previous.{{ metric }} as lifetime_{{ metric }},
        case
            when with_previous.previous_snapshot_date = with_previous.snapshot_date - 1
                then with_previous.{{ metric }} - with_previous.previous_{{ metric }}
            when posts.published_date = with_previous.snapshot_date then with_previous.{{ metric }}
        end as delta_{{ metric }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from with_previous
    inner join posts
        on with_previous.network = posts.network
        and with_previous.post_id = posts.post_id
    {{ incremental_where('with_previous.snapshot_date', 'metric_date') }}

)

select * from final
