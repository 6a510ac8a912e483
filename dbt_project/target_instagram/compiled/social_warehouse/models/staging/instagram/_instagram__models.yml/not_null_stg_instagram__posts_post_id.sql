
    
    



select post_id
from "sw_dev_instagram"."staging"."stg_instagram__posts"
where post_id is null


