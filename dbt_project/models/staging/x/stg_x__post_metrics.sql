{#- Lifetime tweet metrics, one row per tweet, load day (the snapshot) and metric, unnested from
    the tweets the timeline returned. impression_count is in public_metrics and again in the
    private objects: the private ones get a prefix (non_public_, organic_) so they are never
    counted twice. Private objects are absent for tweets over 30 days old: no rows, not zeros. -#}
with

source as (

    select * from {{ source('x', 'tweets') }}

),

unnested as (

    select
        {{ post_metric_row('source', 'objects.prefix || metric.key', 'metric.value') }}

    from source
    cross join (
        values
        ('', 'public_metrics'),
        ('non_public_', 'non_public_metrics'),
        ('organic_', 'organic_metrics')
    ) as objects (prefix, field)
    cross join lateral jsonb_each(
        case
            when jsonb_typeof(source.payload -> objects.field) = 'object'
                then source.payload -> objects.field
        end
    ) as metric (key, value)

),

final as (

    {{ network_contract_rows('x', 'post_metrics', ['unnested']) }}

)

select * from final
