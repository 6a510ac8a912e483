
    
    



select metric_date
from "sw_dev_x"."staging"."stg_x__account_metrics"
where metric_date is null


