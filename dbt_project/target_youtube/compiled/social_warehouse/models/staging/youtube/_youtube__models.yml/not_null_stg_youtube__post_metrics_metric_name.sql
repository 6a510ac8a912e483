
    
    



select metric_name
from "sw_dev_youtube"."staging"."stg_youtube__post_metrics"
where metric_name is null


