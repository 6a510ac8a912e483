select brands.*, days.check_date
from marts.brands
cross join (select distinct metric_date as check_date from marts.account_daily) as days
