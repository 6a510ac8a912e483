select *, last_load_date as check_date from marts.metric_revisions
