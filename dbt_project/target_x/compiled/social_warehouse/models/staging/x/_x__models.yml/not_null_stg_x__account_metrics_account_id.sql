
    
    



select account_id
from "sw_dev_x"."staging"."stg_x__account_metrics"
where account_id is null


