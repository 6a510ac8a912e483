
    
    



select account_id
from "sw_dev_x"."staging"."stg_x__posts"
where account_id is null


