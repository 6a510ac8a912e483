{{ union_network_models('account_metrics') }}
