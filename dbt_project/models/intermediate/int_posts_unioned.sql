{{ union_network_models('posts') }}
