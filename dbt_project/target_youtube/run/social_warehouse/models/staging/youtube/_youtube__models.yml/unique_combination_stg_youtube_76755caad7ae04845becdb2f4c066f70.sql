
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select account_id, load_date, metric_date, metric_name, count(*) as occurrences
from "sw_dev_youtube"."staging"."stg_youtube__account_metrics"
group by account_id, load_date, metric_date, metric_name
having count(*) > 1

  
  
      
    ) dbt_internal_test