
    
    



select metric_date
from "sw_dev_youtube"."staging"."stg_youtube__account_metrics"
where metric_date is null


