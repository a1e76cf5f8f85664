"""One module per measured area; each registers its scenarios with `bench.core.scenario`."""
