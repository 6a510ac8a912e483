
    
    



select post_id
from "sw_dev_youtube"."staging"."stg_youtube__post_metrics"
where post_id is null


