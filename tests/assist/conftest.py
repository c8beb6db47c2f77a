from tests.kb.conftest import demo_kb, fresh_indexes  # noqa: F401  the KB fixtures, shared
