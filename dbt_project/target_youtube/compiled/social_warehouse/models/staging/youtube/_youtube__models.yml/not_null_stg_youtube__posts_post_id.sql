
    
    



select post_id
from "sw_dev_youtube"."staging"."stg_youtube__posts"
where post_id is null


