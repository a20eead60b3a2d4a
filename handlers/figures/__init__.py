"""The figures units are judged by (考核指标) and the hot issues (热点问题)."""
