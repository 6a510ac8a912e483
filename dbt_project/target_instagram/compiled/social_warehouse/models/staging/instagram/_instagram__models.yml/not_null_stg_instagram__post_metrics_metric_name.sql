
    
    



select metric_name
from "sw_dev_instagram"."staging"."stg_instagram__post_metrics"
where metric_name is null


