{{ union_network_models('post_metrics', [
    'network', 'account_id', 'post_id', 'snapshot_date', 'metric_name', 'metric_value',
    'load_id', 'extracted_at'
]) }}
