{{ config(indexes=[{'columns': ['network', 'post_id', 'metric_date'], 'unique': true}]) }}

{#- One row per post and load day while the post is inside the post lookback window: its
    lifetime metrics as that day's load saw them, and the change since the previous snapshot
    (null on the first snapshot: there is nothing to subtract). -#}
with

snapshots as (

    select * from {{ ref('int_post_snapshots_pivoted') }}

),

posts as (

    select * from {{ ref('int_posts_deduplicated') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

with_previous as (

    select
        snapshots.*,
        {% for metric in var('post_metrics') -%}
        lag(snapshots.{{ metric }}) over by_post as previous_{{ metric }},
        {% endfor -%}
        coalesce(snapshots.likes, 0) + coalesce(snapshots.comments, 0)
        + coalesce(snapshots.shares, 0) + coalesce(snapshots.saves, 0)
        + coalesce(snapshots.clicks, 0) as engagements

    from snapshots
    window by_post as (partition by network, post_id order by snapshot_date)

),

final as (

    select
        with_previous.network,
        with_previous.post_id,
        with_previous.snapshot_date as metric_date,
        with_previous.account_id,
        accounts.brand_id,
        posts.published_at,
        posts.post_type,
        (with_previous.snapshot_date - posts.published_date) as days_since_published,
        {% for metric in var('post_metrics') -%}
        with_previous.{{ metric }} as lifetime_{{ metric }},
        with_previous.{{ metric }} - with_previous.previous_{{ metric }} as delta_{{ metric }},
        {% endfor -%}
        with_previous.engagements as lifetime_engagements,
        {{ safe_divide('with_previous.engagements', 'with_previous.reach') }} as engagement_rate_by_reach

    from with_previous
    inner join posts
        on with_previous.network = posts.network
        and with_previous.post_id = posts.post_id
    inner join accounts
        on with_previous.network = accounts.network
        and with_previous.account_id = accounts.account_id

)

select * from final
