//! Conformance vectors for `winsec`, loaded from `tests/conformance/winsec/`.
