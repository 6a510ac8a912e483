
    
    



select metric_name
from "sw_dev_linkedin"."staging"."stg_linkedin__account_metrics"
where metric_name is null


