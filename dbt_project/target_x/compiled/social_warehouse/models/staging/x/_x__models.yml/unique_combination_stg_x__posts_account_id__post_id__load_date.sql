
select account_id, post_id, load_date, count(*) as occurrences
from "sw_dev_x"."staging"."stg_x__posts"
group by account_id, post_id, load_date
having count(*) > 1
