{#- Lifetime tweet metrics, one row per tweet, load day (the snapshot) and metric, unnested from
    the tweets the timeline returned. impression_count is in public_metrics and again in the
    private objects: the private ones get a prefix (non_public_, organic_) so they are never
    counted twice. Private objects are absent for tweets over 30 days old: no rows, not zeros. -#}
with

source as (

    select * from {{ source('x', 'tweets') }}

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
        {{ metric_value('metric.value') }} as metric_value,
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
