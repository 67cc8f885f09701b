"""Every integration test (CLI, training runs, DDP, notebooks, benchmarks) is slow: ``-m "not slow"`` skips them."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.slow)
