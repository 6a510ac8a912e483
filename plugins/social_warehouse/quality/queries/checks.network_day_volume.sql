-- the checked day against the median of the 7 days before it: only those 8 days are read
with landed as (
    select network, load_date, sum(records) as records
    from (
        select distinct on (network, account_id, stream, load_date)
            network, load_date, records
        from ops.load_manifest
        where status = 'success' and load_date between current_setting('sw.check_day')::date - 7
                                                   and current_setting('sw.check_day')::date
        order by network, account_id, stream, load_date, load_id desc
    ) latest
    group by network, load_date
),
totals as (
    select network, metric_date, sum(impressions) as impressions, sum(engagements) as engagements,
           sum(video_views) as video_views
    from marts.account_daily
    where metric_date between current_setting('sw.check_day')::date - 7
                          and current_setting('sw.check_day')::date
    group by network, metric_date
),
days as (
    select coalesce(landed.network, totals.network) as network,
           coalesce(landed.load_date, totals.metric_date) as check_date,
           landed.records, totals.impressions, totals.engagements, totals.video_views
    from landed full outer join totals
        on landed.network = totals.network and landed.load_date = totals.metric_date
),
with_medians as (
    select days.*,
        (select percentile_cont(0.5) within group (order by h.records) from days h
         where h.network = days.network and h.check_date between days.check_date - 7 and days.check_date - 1
           and h.records is not null) as records_median,
        (select percentile_cont(0.5) within group (order by h.impressions) from days h
         where h.network = days.network and h.check_date between days.check_date - 7 and days.check_date - 1
           and h.impressions is not null) as impressions_median,
        (select percentile_cont(0.5) within group (order by h.engagements) from days h
         where h.network = days.network and h.check_date between days.check_date - 7 and days.check_date - 1
           and h.engagements is not null) as engagements_median
    from days
    where days.check_date = current_setting('sw.check_day')::date
)
select network, check_date, records, impressions, engagements,
       round(records / nullif(records_median, 0)::numeric, 4) as records_vs_median,
       round(impressions / nullif(impressions_median, 0)::numeric, 4) as impressions_vs_median,
       round(engagements / nullif(engagements_median, 0)::numeric, 4) as engagements_vs_median
from with_medians
