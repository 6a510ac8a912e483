select
    *,
    metric_date as check_date,
    network || ':' || account_id as account_key
from marts.account_daily
where metric_date = current_setting('sw.check_day')::date
