
    
    



select account_id
from "sw_dev_linkedin"."staging"."stg_linkedin__posts"
where account_id is null


