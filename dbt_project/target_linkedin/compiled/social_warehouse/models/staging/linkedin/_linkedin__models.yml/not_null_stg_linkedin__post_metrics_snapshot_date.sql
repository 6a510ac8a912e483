
    
    



select snapshot_date
from "sw_dev_linkedin"."staging"."stg_linkedin__post_metrics"
where snapshot_date is null


