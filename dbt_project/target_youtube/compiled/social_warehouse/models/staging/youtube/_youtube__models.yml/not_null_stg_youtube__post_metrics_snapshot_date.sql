
    
    



select snapshot_date
from "sw_dev_youtube"."staging"."stg_youtube__post_metrics"
where snapshot_date is null


