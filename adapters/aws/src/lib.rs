//! swapstream's AWS adapters: where items and dead letters are written ([`dynamodb`]) and
//! where module versions are published ([`s3_store`]).

pub mod dynamodb;
pub mod error;
pub mod s3_store;

pub use s3_store::S3Store;
