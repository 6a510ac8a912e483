-- the checked day's 7-day window only: the window function needs the six days before it
with sources as (
    select network from intermediate.int_network_metrics_mapped
    where unified_metric = 'likes' and source_kind = 'account'
),
account_likes as (
    select a.network, a.account_id, a.metric_date, a.likes
    from marts.account_daily a inner join sources using (network)
    where a.metric_date between current_setting('sw.check_day')::date - 6
                            and current_setting('sw.check_day')::date
),
post_likes as (
    select network, account_id, metric_date, sum(delta_likes) as likes,
           bool_and(delta_likes is not null) as complete
    from marts.post_daily
    where metric_date between current_setting('sw.check_day')::date - 6
                          and current_setting('sw.check_day')::date
    group by 1, 2, 3
),
joined as (
    select account_likes.network, account_likes.account_id, account_likes.metric_date as check_date,
        sum(account_likes.likes) over w as account_likes_7d,
        sum(post_likes.likes) over w as post_likes_7d,
        count(*) filter (where post_likes.complete and account_likes.likes is not null) over w as complete_days
    from account_likes
    left join post_likes using (network, account_id, metric_date)
    window w as (partition by account_likes.network, account_likes.account_id
                 order by account_likes.metric_date range between interval '6 days' preceding and current row)
)
select
    *,
    -- only full weeks where every day has both sides; else unknown (null), not a failure
    case when complete_days = 7
        then round(account_likes_7d / nullif(post_likes_7d, 0)::numeric, 4)
    end as account_to_posts_ratio
from joined
where check_date = current_setting('sw.check_day')::date
