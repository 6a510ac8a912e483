
    
    



select snapshot_date
from "sw_dev_x"."staging"."stg_x__post_metrics"
where snapshot_date is null


