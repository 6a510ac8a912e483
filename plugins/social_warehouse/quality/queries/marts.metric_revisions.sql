select *, last_load_date as check_date from marts.metric_revisions
where last_load_date = current_setting('sw.check_day')::date
