
    
    



select published_at
from "sw_dev_youtube"."staging"."stg_youtube__posts"
where published_at is null


