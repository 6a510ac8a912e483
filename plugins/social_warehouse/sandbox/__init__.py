"""A local stand-in for the six networks' APIs: their real paths, paging, headers, error envelopes
and rate limits, over deterministic data, plus the ground truth a perfect client would load."""
