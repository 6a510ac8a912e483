{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['network', 'account_id', 'metric_date'],
    indexes=[{'columns': ['network', 'account_id', 'metric_date'], 'unique': true}],
) }}

{#- Account-day values built from the account's posts, for the days the posts were snapshotted
    (load days): how many posts were published that day, and, for metrics the registry marks `post_delta` (networks without account-level analytics,
    like X), the sum of the posts' growth that day. A sum is null unless every post snapshotted
    that day has a known growth: a partial sum would understate the day. -#}
with

post_days as (

    select * from {{ ref('int_post_days_differenced') }}
    {{ incremental_where('metric_date') }}

),

posts as (

    select * from {{ ref('int_posts_deduplicated') }}
    {{ incremental_where('published_date', 'metric_date') }}

),

derived as (

    select * from {{ ref('metric_registry') }}
    where entity = 'account' and aggregation = 'post_delta' and retired_on is null

),

growth as (

    select
        network,
        account_id,
        metric_date,
        {% for metric in var('post_metrics') -%}
        case
            when bool_and(delta_{{ metric }} is not null) then sum(delta_{{ metric }})
        end as {{ metric }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from post_days
    group by network, account_id, metric_date

),

published as (

    select
        network,
        account_id,
        published_date as metric_date,
        count(*) as posts_published

    from posts
    group by network, account_id, published_date

),

final as (

    select
        growth.network,
        growth.account_id,
        growth.metric_date,
        coalesce(published.posts_published, 0) as posts_published,
        {#- `then` follows the bracket: sqlfluff (LT02) mis-indents a loop whose case ends in a
            hanging then #}
        {% for metric in var('post_metrics') -%}
        case
            when
                exists (
                    select 1 from derived
                    where derived.network = growth.network
                        and derived.unified_metric = '{{ metric }}'
                ) then growth.{{ metric }}
        end as {{ metric }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from growth
    left join published
        on growth.network = published.network
        and growth.account_id = published.account_id
        and growth.metric_date = published.metric_date

)

select * from final
