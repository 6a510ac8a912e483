select *, metric_date as check_date from marts.brand_daily
