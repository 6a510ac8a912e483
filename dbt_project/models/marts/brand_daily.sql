{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['metric_date', 'brand_id'],
    indexes=[{'columns': ['metric_date', 'brand_id'], 'unique': true}],
) }}

{#- One row per brand and day across every network. Reach is the sum of each network's reach:
    the same person reached on two networks counts twice (no network shares who it reached). -#}
with

account_days as (

    select * from {{ ref('account_daily') }}
    {{ incremental_where('metric_date') }}

),

aggregated as (

    select
        metric_date,
        brand_id,
        max(brand_name) as brand_name,
        count(distinct network) as networks_reporting,
        count(*) as accounts_reporting,
        sum(reach) as reach,
        sum(impressions) as impressions,
        sum(engagements) as engagements,
        sum(video_views) as video_views,
        sum(followers) as followers,
        sum(follower_gains) as follower_gains,
        sum(posts_published) as posts_published,
        sum(engagements) filter (where impressions is not null) as engagements_with_impressions,
        sum(impressions) filter (where engagements is not null) as impressions_with_engagements,
        sum(engagements) filter (where reach is not null) as engagements_with_reach,
        sum(reach) filter (where engagements is not null) as reach_with_engagements

    from account_days
    group by metric_date, brand_id

),

final as (

    select
        metric_date,
        brand_id,
        brand_name,
        networks_reporting,
        accounts_reporting,
        reach,
        impressions,
        engagements,
        video_views,
        followers,
        follower_gains,
        posts_published,
        {{ safe_divide('engagements_with_reach', 'reach_with_engagements') }} as engagement_rate_by_reach,
        {{ safe_divide('engagements_with_impressions', 'impressions_with_engagements') }}
            as engagement_rate_by_impressions

    from aggregated

)

select * from final
