{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['entity', 'network', 'account_id', 'subject_id', 'metric_name'],
    indexes=[
        {'columns': ['entity', 'network', 'account_id', 'subject_id', 'metric_name'], 'unique': true},
    ],
) }}

{#- How networks revise numbers after first reporting them, kept as history:
    - entity `account_day`: a day's account metric, first reported by the load of that day and
      revised by the following loads of the lookback (Meta revises for ~48 h);
    - entity `post`: a post's lifetime metric, from its first snapshot to its latest.
    settled_on is the first load day from which the value never changed again; is_settled says
    a later load confirmed it. -#}
with

account_metrics as (

    select * from {{ ref('int_account_metrics_deduplicated') }}
    {{ incremental_where('metric_date', 'reference_date') }}

),

registry as (

    select
        network,
        source_metric,
        min(unified_metric) as unified_metric
    from {{ ref('metric_registry') }}
    group by network, source_metric

),

post_metrics as (

    select * from {{ ref('int_post_metrics_unioned') }}
    {% if is_incremental() -%}
    where
        post_id in (
            select recent.post_id from {{ ref('int_post_metrics_unioned') }} as recent
            where recent.snapshot_date >= {{ incremental_cutoff('reference_date') }}
        )
    {%- endif %}

),

account_revisions as (

    select
        'account_day'::text as entity,
        account_metrics.network,
        account_metrics.account_id,
        account_metrics.metric_date::text as subject_id,
        account_metrics.metric_date as reference_date,
        account_metrics.metric_name,
        account_metrics.first_metric_value as first_value,
        account_metrics.first_load_date as first_reported_on,
        account_metrics.metric_value as settled_value,
        account_metrics.settled_on,
        account_metrics.last_load_date,
        account_metrics.observations

    from account_metrics

),

post_history as (

    select
        network,
        account_id,
        post_id,
        metric_name,
        snapshot_date,
        metric_value,
        first_value(metric_value) over by_snapshot as first_value,
        last_value(metric_value) over whole as last_value,
        min(snapshot_date) over whole as first_snapshot,
        max(snapshot_date) over whole as last_snapshot,
        count(*) over whole as observations

    from post_metrics
    window
        by_snapshot as (partition by network, post_id, metric_name order by snapshot_date),
        whole as (
            partition by network, post_id, metric_name order by snapshot_date
            rows between unbounded preceding and unbounded following
        )

),

post_settled as (

    select
        network,
        account_id,
        post_id,
        metric_name,
        min(first_value) as first_value,
        min(first_snapshot) as first_snapshot,
        min(last_value) as last_value,
        max(last_snapshot) as last_snapshot,
        max(observations) as observations,
        {#- values only grow: the first snapshot that shows the final value -#}
        min(snapshot_date) filter (where metric_value is not distinct from last_value) as settled_on

    from post_history
    group by network, account_id, post_id, metric_name

),

post_revisions as (

    select
        'post'::text as entity,
        post_settled.network,
        post_settled.account_id,
        post_settled.post_id as subject_id,
        post_settled.first_snapshot as reference_date,
        post_settled.metric_name,
        post_settled.first_value,
        post_settled.first_snapshot as first_reported_on,
        post_settled.last_value as settled_value,
        post_settled.settled_on,
        post_settled.last_snapshot as last_load_date,
        post_settled.observations

    from post_settled

),

unioned as (

    select * from account_revisions
    union all
    select * from post_revisions

),

labelled as (

    {#- the unified metric a native metric feeds, whatever its entity: a label only -#}
    select
        unioned.entity,
        unioned.network,
        unioned.account_id,
        unioned.subject_id,
        unioned.reference_date,
        unioned.metric_name,
        registry.unified_metric,
        unioned.first_value,
        unioned.first_reported_on,
        unioned.settled_value,
        unioned.settled_on,
        unioned.last_load_date,
        unioned.observations

    from unioned
    left join registry
        on unioned.network = registry.network
        and unioned.metric_name = registry.source_metric

),

final as (

    select
        *,
        settled_value - first_value as revision,
        {{ safe_divide('settled_value - first_value', 'first_value', 4) }} as revision_pct,
        (settled_value is distinct from first_value) as was_revised,
        (settled_on < last_load_date) as is_settled

    from labelled

)

select * from final
