
    
    



select account_id
from "sw_dev_instagram"."staging"."stg_instagram__posts"
where account_id is null


