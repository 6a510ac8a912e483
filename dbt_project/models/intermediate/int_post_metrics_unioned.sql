{{ union_network_models('post_metrics') }}
