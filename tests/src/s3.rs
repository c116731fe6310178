//! A local S3 server: moto's (`pip install 'moto[server]'`, in the venv
//! `scripts/install-stack.sh` creates), on a free loopback port.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;

use crate::process::Running;
use crate::{LOOPBACK, free_port, stack_home, wait_for_port};

/// A moto S3 server.
pub struct S3Local {
    port: u16,
    process: Running,
    _logs: tempfile::TempDir,
}

/// The `moto_server` executable: `$SWAPSTREAM_VENV/bin`, the stack's venv, or `PATH`.
fn moto_server() -> PathBuf {
    let venv = std::env::var_os("SWAPSTREAM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| stack_home().join("venv"));
    let candidate = venv.join("bin/moto_server");
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from("moto_server")
    }
}

impl S3Local {
    /// Starts moto and waits until it answers S3 requests.
    pub async fn start() -> Self {
        let logs = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new(moto_server());
        cmd.args(["-H", LOOPBACK, "-p"]).arg(port.to_string());
        let process = Running::spawn("moto_server", cmd, &logs.path().join("moto.log"));
        let s3 = Self {
            port,
            process,
            _logs: logs,
        };
        wait_for_port(port, "moto_server", Duration::from_secs(60));
        let client = s3.client().await;
        let started = Instant::now();
        while client.list_buckets().send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not answer: {}",
                s3.process.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        s3
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{LOOPBACK}:{}", self.port)
    }

    /// Environment pointing an AWS SDK (and `swapstream`) at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = crate::aws_env();
        env.push(("AWS_ENDPOINT_URL_S3".into(), self.endpoint()));
        env
    }

    /// A client for this server (path-style: there is no `bucket.127.0.0.1`).
    pub async fn client(&self) -> Client {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        Client::from_conf(config)
    }

    /// Creates a bucket.
    pub async fn create_bucket(&self, bucket: &str) {
        self.client()
            .await
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating bucket {bucket}: {e:?}"));
    }

    /// Uploads `bytes` as `bucket/key` without a SHA-256 checksum (as a plain `aws s3 cp`
    /// would); returns the ETag.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> String {
        let out = self
            .client()
            .await
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap_or_else(|e| panic!("putting {bucket}/{key}: {e:?}"));
        out.e_tag().unwrap_or_default().to_owned()
    }

    /// Uploads with S3's SHA-256 checksum, as `swapstream module push` does; returns the ETag.
    pub async fn put_with_sha256(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> String {
        let out = self
            .client()
            .await
            .put_object()
            .bucket(bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap_or_else(|e| panic!("putting {bucket}/{key}: {e:?}"));
        out.e_tag().unwrap_or_default().to_owned()
    }

    /// Deletes `bucket/key`.
    pub async fn delete(&self, bucket: &str, key: &str) {
        self.client()
            .await
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("deleting {bucket}/{key}: {e:?}"));
    }

    /// The object's bytes.
    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .client()
            .await
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("getting {bucket}/{key}: {e:?}"));
        out.body.collect().await.unwrap().to_vec()
    }

    /// The server's log so far (its request lines show which calls the host made).
    pub fn log(&self) -> String {
        self.process.output()
    }
}
