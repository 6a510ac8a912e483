
select account_id, load_date, metric_date, metric_name, count(*) as occurrences
from "sw_dev_linkedin"."staging"."stg_linkedin__account_metrics"
group by account_id, load_date, metric_date, metric_name
having count(*) > 1
