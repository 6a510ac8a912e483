
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select account_id, post_id, snapshot_date, metric_name, count(*) as occurrences
from "sw_dev_x"."staging"."stg_x__post_metrics"
group by account_id, post_id, snapshot_date, metric_name
having count(*) > 1

  
  
      
    ) dbt_internal_test