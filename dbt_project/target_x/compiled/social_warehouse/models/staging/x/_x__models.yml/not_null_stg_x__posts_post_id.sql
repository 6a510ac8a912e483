
    
    



select post_id
from "sw_dev_x"."staging"."stg_x__posts"
where post_id is null


