-- a dimension: checked on every day the marts were built for
select posts.*, current_setting('sw.check_day')::date as check_date
from marts.posts
where exists (
    select 1 from marts.account_daily where metric_date = current_setting('sw.check_day')::date
)
