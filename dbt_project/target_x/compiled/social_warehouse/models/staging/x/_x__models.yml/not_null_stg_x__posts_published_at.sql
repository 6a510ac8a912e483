
    
    



select published_at
from "sw_dev_x"."staging"."stg_x__posts"
where published_at is null


