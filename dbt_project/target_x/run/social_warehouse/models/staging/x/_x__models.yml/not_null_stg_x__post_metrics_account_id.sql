
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select account_id
from "sw_dev_x"."staging"."stg_x__post_metrics"
where account_id is null



  
  
      
    ) dbt_internal_test