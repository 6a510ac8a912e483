{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['metric_date', 'network', 'account_id'],
    indexes=[
        {'columns': ['metric_date', 'network', 'account_id'], 'unique': true},
        {'columns': ['brand_id', 'metric_date']},
    ],
) }}

{#- One row per account and day: every unified metric from where the network provides it (its
    own account metric, or the growth of its posts), engagements by the network's definition,
    and the rates. A metric a network does not provide is null and its *_is_available flag is
    false; a provided metric missing for a day is null with the flag true. -#}
{%- set from_posts = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'video_views'] -%}

with

native as (

    select * from {{ ref('int_account_days_pivoted') }}
    {{ incremental_where('metric_date') }}

),

from_posts as (

    select * from {{ ref('int_account_days_from_posts') }}
    {{ incremental_where('metric_date') }}

),

sources as (

    select * from {{ ref('int_network_metrics_mapped') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined') }}

),

spine as (

    select
        network,
        account_id,
        metric_date
    from native
    union
    select
        network,
        account_id,
        metric_date
    from from_posts
    where
        exists (
            select 1 from sources
            where sources.network = from_posts.network and sources.source_kind = 'post_growth'
        )

),

availability as (

    select
        network,
        {% for metric in var('account_metrics') -%}
        bool_or(unified_metric = '{{ metric }}' and source_kind <> 'none') as {{ metric }}_is_available,
        bool_or(unified_metric = '{{ metric }}' and source_kind = 'post_growth') as {{ metric }}_from_posts
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from sources
    group by network

),

combined as (

    select
        spine.network,
        spine.account_id,
        spine.metric_date,
        {% for metric in var('account_metrics') if metric != 'engagements' -%}
        {% if metric in from_posts -%}
        case
            when availability.{{ metric }}_from_posts then from_posts.{{ metric }}
            else native.{{ metric }}
        end as {{ metric }},
        {%- else -%}
        native.{{ metric }},
        {%- endif %}
        {% endfor -%}
        native.engagements as native_engagements,
        coalesce(from_posts.posts_published, 0) as posts_published,
        {% for metric in var('account_metrics') -%}
        availability.{{ metric }}_is_available{% if not loop.last %},{% endif %}
        {% endfor %}

    from spine
    inner join availability
        on spine.network = availability.network
    left join native
        on spine.network = native.network
        and spine.account_id = native.account_id
        and spine.metric_date = native.metric_date
    left join from_posts
        on spine.network = from_posts.network
        and spine.account_id = from_posts.account_id
        and spine.metric_date = from_posts.metric_date

),

with_engagements as (

    select
        combined.*,
        case
            when combined.engagements_is_available and combined.native_engagements is not null
                then combined.native_engagements
            else {{ engagement_sum('combined.network', 'account', relation_alias='combined') }}
        end as engagements

    from combined

),

final as (

    select
        with_engagements.metric_date,
        with_engagements.network,
        with_engagements.account_id,
        accounts.account_name,
        accounts.brand_id,
        accounts.brand_name,
        with_engagements.followers,
        with_engagements.follower_gains,
        with_engagements.follower_losses,
        with_engagements.impressions,
        with_engagements.reach,
        with_engagements.engagements,
        with_engagements.likes,
        with_engagements.comments,
        with_engagements.shares,
        with_engagements.saves,
        with_engagements.clicks,
        with_engagements.profile_views,
        with_engagements.video_views,
        with_engagements.posts_published,
        {{ safe_divide('with_engagements.engagements', 'with_engagements.reach') }}
            as engagement_rate_by_reach,
        {{ safe_divide('with_engagements.engagements', 'with_engagements.impressions') }}
            as engagement_rate_by_impressions,
        {{ safe_divide('with_engagements.engagements', 'with_engagements.followers') }}
            as engagement_rate_by_followers,
        {% for metric in var('account_metrics') -%}
        with_engagements.{{ metric }}_is_available{% if not loop.last %},{% endif %}
        {% endfor %}

    from with_engagements
    inner join accounts
        on with_engagements.network = accounts.network
        and with_engagements.account_id = accounts.account_id

)

select * from final
