{#- One row per post ever seen: its attributes and its latest lifetime metrics. -#}
with

posts as (

    select * from {{ ref('int_posts_deduplicated') }}

),

latest_days as (

    select distinct on (network, post_id) *
    from {{ ref('post_daily') }}
    order by network asc, post_id asc, metric_date desc

),

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

final as (

    select
        posts.network,
        posts.post_id,
        posts.account_id,
        accounts.brand_id,
        posts.published_at,
        posts.published_date,
        posts.post_type,
        posts.post_text,
        posts.permalink,
        posts.first_seen_date,
        posts.last_seen_date,
        latest_days.metric_date as metrics_as_of,
        {% for metric in var('post_metrics') -%}
        latest_days.lifetime_{{ metric }} as {{ metric }},
        {% endfor -%}
        latest_days.lifetime_engagements as engagements,
        latest_days.engagement_rate_by_reach,
        latest_days.engagement_rate_by_impressions

    from posts
    inner join accounts
        on posts.network = accounts.network
        and posts.account_id = accounts.account_id
    left join latest_days
        on posts.network = latest_days.network
        and posts.post_id = latest_days.post_id

)

select * from final
