
    
    



select account_id
from "sw_dev_linkedin"."staging"."stg_linkedin__account_metrics"
where account_id is null


