
    
    



select metric_date
from "sw_dev_linkedin"."staging"."stg_linkedin__account_metrics"
where metric_date is null


