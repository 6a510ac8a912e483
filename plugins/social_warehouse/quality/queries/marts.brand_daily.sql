select *, metric_date as check_date from marts.brand_daily
where metric_date = current_setting('sw.check_day')::date
