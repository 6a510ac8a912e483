
    
    



select metric_name
from "sw_dev_linkedin"."staging"."stg_linkedin__post_metrics"
where metric_name is null


