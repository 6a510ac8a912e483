
    
    



select post_id
from "sw_dev_linkedin"."staging"."stg_linkedin__post_metrics"
where post_id is null


