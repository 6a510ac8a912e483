
    
    



select post_id
from "sw_dev_instagram"."staging"."stg_instagram__post_metrics"
where post_id is null


