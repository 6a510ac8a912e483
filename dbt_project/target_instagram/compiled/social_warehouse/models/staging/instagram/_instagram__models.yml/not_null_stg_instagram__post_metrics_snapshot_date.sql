
    
    



select snapshot_date
from "sw_dev_instagram"."staging"."stg_instagram__post_metrics"
where snapshot_date is null


