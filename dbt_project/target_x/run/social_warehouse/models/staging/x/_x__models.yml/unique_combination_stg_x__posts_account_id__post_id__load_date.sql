
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select account_id, post_id, load_date, count(*) as occurrences
from "sw_dev_x"."staging"."stg_x__posts"
group by account_id, post_id, load_date
having count(*) > 1

  
  
      
    ) dbt_internal_test