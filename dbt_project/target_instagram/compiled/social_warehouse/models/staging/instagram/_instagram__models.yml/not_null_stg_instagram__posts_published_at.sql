
    
    



select published_at
from "sw_dev_instagram"."staging"."stg_instagram__posts"
where published_at is null


