{{ union_network_models('account_metrics', [
    'network', 'account_id', 'metric_date', 'metric_name', 'metric_value',
    'load_date', 'load_id', 'extracted_at'
]) }}
