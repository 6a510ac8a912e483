
    
    



select metric_date
from "sw_dev_instagram"."staging"."stg_instagram__account_metrics"
where metric_date is null


