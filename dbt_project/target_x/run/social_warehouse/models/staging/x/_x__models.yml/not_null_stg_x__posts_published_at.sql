
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select published_at
from "sw_dev_x"."staging"."stg_x__posts"
where published_at is null



  
  
      
    ) dbt_internal_test