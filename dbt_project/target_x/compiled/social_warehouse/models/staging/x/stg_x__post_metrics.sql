with

source as (

    select * from "sw_dev_x"."raw"."x__tweets"

),

metric_objects as (

    select
        source.account_id,
        source.record_key as post_id,
        source.load_date as snapshot_date,
        objects.prefix,
        objects.metrics,
        source.load_id,
        source.extracted_at

    from source
    cross join lateral (
        values
            ('', source.payload -> 'public_metrics'),
            ('non_public_', source.payload -> 'non_public_metrics'),
            ('organic_', source.payload -> 'organic_metrics')
    ) as objects (prefix, metrics)

),

unnested as (

    select
        metric_objects.account_id,
        metric_objects.post_id,
        metric_objects.snapshot_date,
        metric_objects.prefix || metric.key as metric_name,
        case jsonb_typeof(metric.value)
        when 'number' then (metric.value)::numeric
        when 'string' then case when (metric.value #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$'
            then (metric.value #>> '{}')::numeric end
        when 'object' then coalesce(
            (metric.value ->> 'total')::numeric,
            (select sum(v::numeric) from jsonb_each_text(metric.value) as kv (k, v)
             where v ~ '^-?[0-9]+(\.[0-9]+)?$')
        )
    end as metric_value,
        metric_objects.load_id,
        metric_objects.extracted_at

    from metric_objects
    cross join lateral jsonb_each(
        case when jsonb_typeof(metric_objects.metrics) = 'object' then metric_objects.metrics end
    ) as metric (key, value)

),

final as (

    select
        'x'::text as network,
        account_id,
        post_id,
        snapshot_date,
        metric_name,
        metric_value,
        load_id,
        extracted_at

    from unnested

)

select * from final