
select account_id, post_id, snapshot_date, metric_name, count(*) as occurrences
from "sw_dev_x"."staging"."stg_x__post_metrics"
group by account_id, post_id, snapshot_date, metric_name
having count(*) > 1
