with days as (
    select distinct metric_date as check_date from marts.account_daily
    where metric_date = current_setting('sw.check_day')::date
),
latest as (
    select days.check_date, settings.network, settings.freshness_sla_hours,
           max(a.metric_date) filter (
               where coalesce(a.impressions, a.reach, a.engagements, a.video_views) is not null
           ) as newest_data
    from days
    cross join ops.network_settings as settings
    left join marts.account_daily as a
        on a.network = settings.network and a.metric_date <= days.check_date
        and a.metric_date > days.check_date - 30
    group by days.check_date, settings.network, settings.freshness_sla_hours
)
select check_date, network, newest_data, freshness_sla_hours,
       (check_date - newest_data) as days_behind,
       case when newest_data is null then null
            else (check_date - newest_data) * 24 <= freshness_sla_hours end as within_sla
from latest
where exists (select 1 from marts.account_daily a where a.network = latest.network)
