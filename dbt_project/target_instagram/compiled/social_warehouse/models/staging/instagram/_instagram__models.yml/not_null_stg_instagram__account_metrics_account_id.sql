
    
    



select account_id
from "sw_dev_instagram"."staging"."stg_instagram__account_metrics"
where account_id is null


