select *, metric_date as check_date,
       least(
           delta_impressions::numeric / nullif(lifetime_impressions - delta_impressions, 0),
           delta_reach::numeric / nullif(lifetime_reach - delta_reach, 0),
           delta_likes::numeric / nullif(lifetime_likes - delta_likes, 0),
           delta_comments::numeric / nullif(lifetime_comments - delta_comments, 0),
           delta_shares::numeric / nullif(lifetime_shares - delta_shares, 0),
           delta_saves::numeric / nullif(lifetime_saves - delta_saves, 0),
           delta_clicks::numeric / nullif(lifetime_clicks - delta_clicks, 0),
           delta_video_views::numeric / nullif(lifetime_video_views - delta_video_views, 0)
       ) as worst_lifetime_change
from marts.post_daily
where metric_date = current_setting('sw.check_day')::date
