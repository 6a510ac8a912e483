
    
    



select published_at
from "sw_dev_linkedin"."staging"."stg_linkedin__posts"
where published_at is null


