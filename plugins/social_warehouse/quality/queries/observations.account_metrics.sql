select network, account_id, load_date as check_date, metric_date, metric_name, metric_value,
       network || ':' || metric_name as network_metric
from intermediate.int_account_metrics_unioned
where load_date = current_setting('sw.check_day')::date
