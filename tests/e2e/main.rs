//! End-to-end tests against real local servers.
