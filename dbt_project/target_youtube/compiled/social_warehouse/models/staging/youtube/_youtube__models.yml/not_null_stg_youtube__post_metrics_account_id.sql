
    
    



select account_id
from "sw_dev_youtube"."staging"."stg_youtube__post_metrics"
where account_id is null


