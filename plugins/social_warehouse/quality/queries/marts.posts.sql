select posts.*, days.check_date
from marts.posts
cross join (select distinct metric_date as check_date from marts.account_daily) as days
