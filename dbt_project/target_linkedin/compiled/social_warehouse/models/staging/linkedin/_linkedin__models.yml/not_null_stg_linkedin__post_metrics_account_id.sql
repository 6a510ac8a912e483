
    
    



select account_id
from "sw_dev_linkedin"."staging"."stg_linkedin__post_metrics"
where account_id is null


