select accounts.*, days.check_date, network || ':' || account_id as account_key
from marts.accounts
cross join (select distinct metric_date as check_date from marts.account_daily) as days
