# Storage conformance suites (label `storage`): one suite, every backend.
