//! `scripts/bench-lambda.sh`: the Lambda path through the Runtime API, invocation in to
//! response out, against DynamoDB Local, with the sink's floor in the same run.
//!
//! Usage: `bench-lambda [INVOCATIONS] [RECORDS] [DEVICES…]` (defaults 50, 10000 and 1 100
//! 1000). For each device count: one event of RECORDS reference-like readings (base64 values,
//! a header per record, 4 partitions), a fresh table, and the real `swapstream lambda`
//! process polling a Runtime API served here on 127.0.0.1. Each invocation is timed from the
//! moment the event is handed to the waiting `GET …/invocation/next` until its
//! `POST …/response` arrives. Alternating with the invocations, the **baseline** writes the
//! same items (read back from the table after the first invocation) as prebuilt
//! `BatchWriteItem` requests of 25 items with 4, 8 and 16 requests in flight; the best of the
//! three (lowest median) is the floor each invocation is compared with.
//!
//! Also printed: decoding the same event in this process with the fast decoder
//! (`swapstream_lambda_event::decode`), with serde alone (`decode_with_serde`, what the runtime
//! runs for a handler taking a `LambdaEvent<KafkaEventBatch>`), and serde only scanning it
//! (`IgnoredAny`, the least a `Box<RawValue>` payload costs: it scans the whole event, then
//! copies it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use swapstream_tests::dynamodb::{DynamoDbLocal, Item};
use swapstream_tests::process::Running;
use swapstream_tests::telemetry::{self, Record};
use swapstream_tests::{LOOPBACK, readings};
use tokio::sync::{mpsc, oneshot};

const PARTITIONS: i32 = 4;
const CONCURRENCY: [usize; 3] = [4, 8, 16];
/// Items per `BatchWriteItem`, DynamoDB's limit.
const PER_REQUEST: usize = 25;

/// What the function answered.
#[derive(Debug)]
enum Outcome {
    Response(Bytes),
    Error(Bytes),
}

/// An invocation waiting for the function's `GET …/next`.
struct Invocation {
    id: String,
    event: Bytes,
    done: oneshot::Sender<Outcome>,
}

/// The Runtime API's state: invocations not yet taken, and those awaiting their answer.
struct Api {
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
}

async fn next(State(api): State<Arc<Api>>) -> impl IntoResponse {
    let Some(invocation) = api.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), Bytes::new());
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(900);
    let mut headers = HeaderMap::new();
    let header = |v: &str| HeaderValue::from_str(v).unwrap();
    headers.insert("lambda-runtime-aws-request-id", header(&invocation.id));
    headers.insert(
        "lambda-runtime-deadline-ms",
        header(&deadline.as_millis().to_string()),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header("arn:aws:lambda:us-east-1:000000000000:function:bench"),
    );
    headers.insert("content-type", header("application/json"));
    api.pending
        .lock()
        .unwrap()
        .insert(invocation.id, invocation.done);
    (StatusCode::OK, headers, invocation.event)
}

fn answer(api: &Api, id: &str, outcome: Outcome) -> StatusCode {
    match api.pending.lock().unwrap().remove(id) {
        Some(done) => {
            let _ = done.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&api, &id, Outcome::Response(body))
}

async fn error(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&api, &id, Outcome::Error(body))
}

async fn init_error(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    *api.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

/// A Runtime API on a free loopback port; invocations go in through the sender.
async fn runtime_api() -> (u16, mpsc::Sender<Invocation>, Arc<Api>) {
    let (tx, rx) = mpsc::channel(1);
    let api = Arc::new(Api {
        queue: tokio::sync::Mutex::new(rx),
        pending: Mutex::new(HashMap::new()),
        init_error: Mutex::new(None),
    });
    let base = "/2018-06-01/runtime";
    let app = Router::new()
        .route(&format!("{base}/invocation/next"), get(next))
        .route(
            &format!("{base}/invocation/{{id}}/response"),
            post(response),
        )
        .route(&format!("{base}/invocation/{{id}}/error"), post(error))
        .route(&format!("{base}/init/error"), post(init_error))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, tx, api)
}

/// `swapstream lambda` polling the Runtime API on `port`, writing to `table`.
fn start_function(port: u16, db: &DynamoDbLocal, table: &str, dir: &std::path::Path) -> Running {
    let mut function = std::process::Command::new(swapstream_tests::swapstream_bin());
    function
        .arg("lambda")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", format!("{LOOPBACK}:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("SWAPSTREAM_CACHE_DIR", dir.join("module-cache"))
        .env("DYNAMODB_TABLE_NAME", table)
        .env("SWAPSTREAM_DEAD_LETTER_TABLE", "dead-letters")
        .envs(db.env());
    let function = Running::spawn(
        "swapstream (lambda)",
        function,
        &dir.join(format!("{table}.log")),
    );
    let started = Instant::now();
    while !function.output().contains("ready for invocations") {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the function did not start: {}",
            function.output()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    function
}

/// The event: `records` readings of `devices` devices as the event source mapping sends them.
fn event(records: usize, devices: i64) -> Vec<u8> {
    let stream = readings::generate(devices, PARTITIONS, records, 0, 7);
    let mut offsets = vec![0_i64; PARTITIONS as usize];
    let records: Vec<Record> = stream
        .records
        .into_iter()
        .map(|r| {
            let partition = r.partition.unwrap();
            let offset = &mut offsets[partition as usize];
            *offset += 1;
            Record {
                topic: "readings".into(),
                partition,
                offset: *offset,
                value: Some(r.value),
                bad_base64: None,
                bad: false,
            }
        })
        .collect();
    telemetry::lambda_event(&records).to_string().into_bytes()
}

/// One invocation: its time from hand-over to response, and the response.
async fn invoke(queue: &mpsc::Sender<Invocation>, n: usize, event: &Bytes) -> (Duration, String) {
    let (done, answer) = oneshot::channel();
    let started = Instant::now();
    queue
        .send(Invocation {
            id: format!("bench-{n}"),
            event: event.clone(),
            done,
        })
        .await
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(300), answer)
        .await
        .expect("no answer within 300 s")
        .unwrap();
    let elapsed = started.elapsed();
    match outcome {
        Outcome::Response(body) => (elapsed, String::from_utf8_lossy(&body).into_owned()),
        Outcome::Error(body) => panic!("invocation {n} failed: {}", String::from_utf8_lossy(&body)),
    }
}

/// The baseline: `requests` sent with `concurrency` in flight; the time until all are done.
async fn write_floor(
    client: &Client,
    table: &str,
    requests: &[Vec<WriteRequest>],
    concurrency: usize,
) -> Duration {
    // Built before the clock starts: the floor is the sending alone.
    let mut lanes: Vec<Vec<_>> = vec![Vec::new(); concurrency];
    for (i, request) in requests.iter().enumerate() {
        lanes[i % concurrency].push(
            client
                .batch_write_item()
                .request_items(table, request.clone()),
        );
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in lanes {
        tasks.spawn(async move {
            for request in lane {
                let out = request.send().await.unwrap();
                assert!(
                    out.unprocessed_items().is_none_or(HashMap::is_empty),
                    "DynamoDB Local left items unprocessed"
                );
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// min, median, max in ms.
fn spread(times: &[Duration]) -> (f64, f64, f64) {
    let mut v: Vec<f64> = times.iter().copied().map(ms).collect();
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

/// How long `f` takes.
fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// Fast decoder, serde decoder and a serde scan of `event`, alternating; medians in ms.
fn decode_only(event: &[u8], rounds: usize) -> (f64, f64, f64) {
    let (mut fast, mut serde, mut scan) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        fast.push(timed(|| {
            std::hint::black_box(swapstream_lambda_event::decode(event).unwrap());
        }));
        serde.push(timed(|| {
            std::hint::black_box(swapstream_lambda_event::decode_with_serde(event).unwrap());
        }));
        scan.push(timed(|| {
            std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(event).unwrap());
        }));
    }
    (spread(&fast).1, spread(&serde).1, spread(&scan).1)
}

struct Row {
    devices: i64,
    items: usize,
    invocation: (f64, f64, f64),
    floors: Vec<(usize, (f64, f64, f64))>,
    decode: (f64, f64, f64),
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let invocations: usize = args.first().map_or(50, |a| a.parse().unwrap());
    let records: usize = args.get(1).map_or(10_000, |a| a.parse().unwrap());
    let device_counts: Vec<i64> = if args.len() > 2 {
        args[2..].iter().map(|a| a.parse().unwrap()).collect()
    } else {
        vec![1, 100, 1_000]
    };
    swapstream_tests::swapstream_bin();
    let db = DynamoDbLocal::start().await;
    db.create_dead_letter_table("dead-letters").await;
    let client = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    eprintln!(
        "bench-lambda: {invocations} invocations of a {records}-record event per device count, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut rows = Vec::new();
    for &devices in &device_counts {
        let event = Bytes::from(event(records, devices));
        let table = format!("readings-{devices}");
        db.create_items_table(&table).await;
        let (port, queue, api) = runtime_api().await;
        let mut function = start_function(port, &db, &table, dir.path());

        // Warm-up: the first invocation writes every item; the items are then read back, so
        // the baseline writes exactly what the function writes.
        let (_, first) = invoke(&queue, 0, &event).await;
        let response: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert_eq!(response["records"], records, "{first}");
        assert_eq!(response["rejected"], 0, "{first}");
        let items: Vec<Item> = db.scan(&table).await;
        assert_eq!(response["items"], items.len(), "{first}");
        let requests: Vec<Vec<WriteRequest>> = items
            .chunks(PER_REQUEST)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|item| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .set_item(Some(item.clone()))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
                    .collect()
            })
            .collect();
        for &c in &CONCURRENCY {
            write_floor(&client, &table, &requests, c).await;
        }

        let mut times = Vec::with_capacity(invocations);
        let mut floors: Vec<Vec<Duration>> = vec![Vec::new(); CONCURRENCY.len()];
        for n in 1..=invocations {
            let (elapsed, body) = invoke(&queue, n, &event).await;
            assert_eq!(body, first, "every invocation answers the same");
            times.push(elapsed);
            for (i, &c) in CONCURRENCY.iter().enumerate() {
                floors[i].push(write_floor(&client, &table, &requests, c).await);
            }
        }
        assert!(function.is_running(), "{}", function.output());
        if let Some(e) = api.init_error.lock().unwrap().take() {
            panic!("init error: {e}");
        }
        drop(function);
        let decode = decode_only(&event, invocations.max(20));
        let row = Row {
            devices,
            items: items.len(),
            invocation: spread(&times),
            floors: CONCURRENCY
                .iter()
                .zip(&floors)
                .map(|(&c, t)| (c, spread(t)))
                .collect(),
            decode,
        };
        eprintln!(
            "{devices} devices: {} items, invocation median {:.2} ms, floors {:?}",
            row.items, row.invocation.1, row.floors
        );
        rows.push(row);
        db.delete_table(&table).await;
    }

    println!(
        "| devices | items | invocation min / median / max (ms) | BatchWriteItem floor median at 4 / 8 / 16 in flight (ms) | best floor min / median / max (ms) | invocation ÷ floor (medians) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let (best_c, best) = row
            .floors
            .iter()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .copied()
            .unwrap();
        let medians: Vec<String> = row
            .floors
            .iter()
            .map(|(_, s)| format!("{:.2}", s.1))
            .collect();
        let (lo, mid, hi) = row.invocation;
        println!(
            "| {} | {} | {lo:.2} / {mid:.2} / {hi:.2} | {} | {:.2} / {:.2} / {:.2} (at {best_c}) | {:.2}× |",
            row.devices,
            row.items,
            medians.join(" / "),
            best.0,
            best.1,
            best.2,
            mid / best.1
        );
    }
    println!();
    println!(
        "| devices | decode: fast (ms) | decode: serde (ms) | serde ÷ fast | serde scan only, `IgnoredAny` (ms) | scan ÷ fast |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let (fast, serde, scan) = row.decode;
        println!(
            "| {} | {fast:.3} | {serde:.3} | {:.2}× | {scan:.3} | {:.2}× |",
            row.devices,
            serde / fast,
            scan / fast
        );
    }
}
