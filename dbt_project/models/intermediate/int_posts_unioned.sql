{{ union_network_models('posts', [
    'network', 'account_id', 'post_id', 'published_at', 'published_date', 'post_type',
    'post_text', 'permalink', 'load_date', 'load_id', 'extracted_at'
]) }}
