"""pubreview: the office's publication review procedure (初审 → 审签 → 中心发布) as software."""
