-- a dimension: checked on every day the marts were built for
select
    accounts.*,
    current_setting('sw.check_day')::date as check_date,
    network || ':' || account_id as account_key
from marts.accounts
where exists (
    select 1 from marts.account_daily where metric_date = current_setting('sw.check_day')::date
)
