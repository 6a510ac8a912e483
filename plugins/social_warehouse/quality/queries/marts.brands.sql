-- a dimension: checked on every day the marts were built for
select brands.*, current_setting('sw.check_day')::date as check_date
from marts.brands
where exists (
    select 1 from marts.account_daily where metric_date = current_setting('sw.check_day')::date
)
