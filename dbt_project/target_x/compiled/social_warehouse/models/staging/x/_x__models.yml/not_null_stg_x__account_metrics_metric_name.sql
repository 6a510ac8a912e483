
    
    



select metric_name
from "sw_dev_x"."staging"."stg_x__account_metrics"
where metric_name is null


