//! Shared helpers for the end-to-end tests: locating and loading fixture
//! files under `tests/`.
