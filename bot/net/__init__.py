"""Network adapters: the pooled HTTP client and the private-address guard."""
