//! Where a module is published, and the sha256 a host may be pinned to.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleLocation {
    /// A module compiled into the host: `builtin:average`, `builtin:stats`.
    Builtin(String),
    /// A local file: `file:///path/to/module.wasm` or a plain path.
    File(PathBuf),
    /// An S3 object: `s3://bucket/key`.
    S3 {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
    },
}

impl FromStr for ModuleLocation {
    type Err = String;

    /// Parses a location. Whether a `builtin:` name exists is the host's to check.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(name) = s.strip_prefix("builtin:") {
            return if name.is_empty() {
                Err("`builtin:` needs a module name, e.g. builtin:average".to_owned())
            } else {
                Ok(Self::Builtin(name.to_owned()))
            };
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            return match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Self::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }),
                _ => Err(format!("`{s}` is not of the form s3://bucket/key")),
            };
        }
        if let Some(path) = s.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "`{s}`: a file:// location needs an absolute path (file:///…)"
                ));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        if s.is_empty() {
            return Err("empty module location".to_owned());
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unsupported module location scheme `{scheme}://` (use builtin:, file:// or s3://)"
            ));
        }
        Ok(Self::File(PathBuf::from(s)))
    }
}

impl fmt::Display for ModuleLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "builtin:{name}"),
            Self::File(path) => write!(f, "file://{}", path.display()),
            Self::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// A sha256 digest in lowercase hex: the pin a host refuses every other module version with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha256Hex(pub String);

impl FromStr for Sha256Hex {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s))
        } else {
            Err("expected 64 hex digits".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_module_locations() {
        assert_eq!(
            "builtin:average".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::Builtin("average".into())
        );
        assert_eq!(
            "s3://bucket/path/to/m.wasm"
                .parse::<ModuleLocation>()
                .unwrap(),
            ModuleLocation::S3 {
                bucket: "bucket".into(),
                key: "path/to/m.wasm".into()
            }
        );
        assert_eq!(
            "file:///opt/m.wasm".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::File("/opt/m.wasm".into())
        );
        assert_eq!(
            "./m.wasm".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::File("./m.wasm".into())
        );
    }

    #[test]
    fn refuses_bad_module_locations_with_a_reason() {
        let err = |s: &str| s.parse::<ModuleLocation>().unwrap_err();
        assert_eq!(
            err("s3://bucket"),
            "`s3://bucket` is not of the form s3://bucket/key"
        );
        assert_eq!(
            err("file://rel/m.wasm"),
            "`file://rel/m.wasm`: a file:// location needs an absolute path (file:///…)"
        );
        assert_eq!(
            err("https://x/m.wasm"),
            "unsupported module location scheme `https://` (use builtin:, file:// or s3://)"
        );
        assert_eq!(
            err("builtin:"),
            "`builtin:` needs a module name, e.g. builtin:average"
        );
    }

    #[test]
    fn sha256_pins_are_64_hex_digits() {
        assert_eq!(
            format!("{:064}", 0).parse::<Sha256Hex>().unwrap(),
            Sha256Hex("0".repeat(64))
        );
        assert_eq!(
            "abc".parse::<Sha256Hex>().unwrap_err(),
            "expected 64 hex digits"
        );
    }
}
