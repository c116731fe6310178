//! Static checks of the Terraform stacks.
