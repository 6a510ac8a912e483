
    
    



select post_id
from "sw_dev_x"."staging"."stg_x__post_metrics"
where post_id is null


