select network, account_id, snapshot_date as check_date, post_id, metric_name, metric_value,
       network || ':' || metric_name as network_metric
from intermediate.int_post_metrics_unioned
where snapshot_date = current_setting('sw.check_day')::date
