//! Test harness for swapstream's end-to-end tests: starts and stops the local stack.
