
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select snapshot_date
from "sw_dev_youtube"."staging"."stg_youtube__post_metrics"
where snapshot_date is null



  
  
      
    ) dbt_internal_test