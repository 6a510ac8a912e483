
    
    



select post_id
from "sw_dev_linkedin"."staging"."stg_linkedin__posts"
where post_id is null


