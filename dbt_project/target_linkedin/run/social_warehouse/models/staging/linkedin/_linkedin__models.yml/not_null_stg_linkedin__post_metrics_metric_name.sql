
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select metric_name
from "sw_dev_linkedin"."staging"."stg_linkedin__post_metrics"
where metric_name is null



  
  
      
    ) dbt_internal_test