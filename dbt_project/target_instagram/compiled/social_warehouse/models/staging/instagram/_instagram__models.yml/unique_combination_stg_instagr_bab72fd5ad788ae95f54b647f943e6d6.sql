
select account_id, post_id, load_date, count(*) as occurrences
from "sw_dev_instagram"."staging"."stg_instagram__posts"
group by account_id, post_id, load_date
having count(*) > 1
