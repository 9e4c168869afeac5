//! Benchmark of live updates through the public API of a running Toygres.
//!
//! ```sh
//! scripts/bench-subscriptions.sh      # starts a release Toygres and runs this against it
//! ```
//!
//! For each count of subscribers (`BENCH_SUBSCRIBERS`, default `1000,10000,20000`): open that
//! many WebSocket connections, each with one `operationUpdated` subscription; measure the
//! server's resident memory idle with them; start one operation and time its first event from
//! the mutation being sent to the last subscriber receiving it, with the CPU the server and
//! this client used meanwhile (they share the machine); close them all and measure the
//! memory again over the fifteen seconds after the server counts no open subscription.
//!
//! Every subscriber sends the same document, so the server shares one answer among them all.
//! `BENCH_DISTINCT=1` gives each subscriber a document of its own (the same one with a
//! different comment), so that nothing is shared: the cost of subscribers who differ.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const SUBSCRIPTION: &str = "subscription { operationUpdated { id status } }";
const START: &str = "mutation { runSystemCheck { id } }";
/// Connections opened at once.
const OPENING: usize = 200;
/// The most connections opened: each is a file in the server and in this client, and this
/// machine allows a process 20,000.
const MAX_CONNECTIONS: usize = 15_000;
/// Each connection's read buffer: small, as the server's (1 KiB).
const READ_BUFFER: usize = 4096;
/// How long memory is watched after the subscribers leave.
const SETTLE: Duration = Duration::from_secs(15);

struct Bench {
    url: String,
    token: String,
    pid: i32,
    http: reqwest::Client,
    /// Whether each subscriber's document is its own.
    distinct: bool,
}

impl Bench {
    async fn start_operation(&self) -> anyhow::Result<String> {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": START }))
            .send()
            .await?
            .json()
            .await?;
        body["data"]["runSystemCheck"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("runSystemCheck: {body}"))
    }

    /// The server's resident memory, in KiB.
    fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmRSS for {}", self.pid))
    }

    /// Open subscriptions, as the server counts them on `/metrics`.
    async fn open_subscriptions(&self) -> anyhow::Result<u64> {
        let metrics_url = self.url.replace("/graphql", "/metrics");
        let text = self.http.get(metrics_url).send().await?.text().await?;
        text.lines()
            .find_map(|l| l.strip_prefix("toygres_graphql_active_subscriptions "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as u64)
            .ok_or_else(|| anyhow::anyhow!("no toygres_graphql_active_subscriptions in /metrics"))
    }

    /// A connection with `count` subscriptions, subscribers `first` onwards: connected,
    /// acknowledged, subscribed and listening (a ping answered after them); every operation id a subscription is told about goes to
    /// `seen` with the time it arrived.
    async fn connection(
        &self,
        first: usize,
        count: usize,
        seen: mpsc::UnboundedSender<Heard>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let mut request = self.url.replace("http://", "ws://").into_client_request()?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws"
                .parse()
                .expect("a valid header value"),
        );
        // tungstenite zeroes its read buffer's free space (128 KiB by default) before every
        // read: with the default, that was half of this client's CPU, which it shares with
        // the server. Messages here are a few hundred bytes.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
        let init = json!({"type": "connection_init",
                          "payload": {"authorization": format!("Bearer {}", self.token)}});
        ws.send(Message::text(init.to_string())).await?;
        loop {
            let Some(message) = ws.next().await else {
                anyhow::bail!("closed before connection_ack");
            };
            if let Message::Text(text) = message?
                && serde_json::from_str::<Value>(&text)?["type"] == "connection_ack"
            {
                break;
            }
        }
        for sub in 0..count {
            let query = if self.distinct {
                format!("{SUBSCRIPTION} # subscriber {}", first + sub)
            } else {
                SUBSCRIPTION.to_owned()
            };
            let subscribe =
                json!({"type": "subscribe", "id": sub.to_string(), "payload": {"query": query}});
            ws.send(Message::text(subscribe.to_string())).await?;
        }
        // The server answers a ping after every subscription sent before it listens: without
        // this, the first change could be made before the server had read the last ones.
        ws.send(Message::text(json!({"type": "ping"}).to_string()))
            .await?;
        loop {
            let Some(message) = ws.next().await else {
                anyhow::bail!("closed before the pong");
            };
            if let Message::Text(text) = message?
                && serde_json::from_str::<Value>(&text)?["type"] == "pong"
            {
                break;
            }
        }
        Ok(tokio::spawn(async move {
            // The operation each subscription last reported: only its first message about an
            // operation counts, and the client shares the server's two cores.
            let mut reported: Vec<Option<String>> = vec![None; count];
            while let Some(Ok(message)) = ws.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let arrived = Instant::now();
                // Read only as far as the subscription's id and the operation's: the client
                // shares the server's two cores.
                let Ok(next) = serde_json::from_str::<Next<'_>>(&text) else {
                    continue;
                };
                let sub: Option<usize> = next.id.and_then(|id| id.parse().ok());
                let operation = next
                    .payload
                    .and_then(|p| p.data)
                    .and_then(|d| d.operation_updated)
                    .map(|o| o.id);
                if let (Some(sub), Some(id)) = (sub, operation)
                    && let Some(last) = reported.get_mut(sub)
                    && last.as_deref() != Some(id)
                {
                    *last = Some(id.to_owned());
                    drop(seen.send(Heard {
                        subscriber: first + sub,
                        operation: id.to_owned(),
                        at: arrived,
                    }));
                }
            }
        }))
    }
}

/// A `next` message, as far as the benchmark reads it.
#[derive(serde::Deserialize)]
struct Next<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    payload: Option<NextPayload<'a>>,
}

#[derive(serde::Deserialize)]
struct NextPayload<'a> {
    #[serde(borrow)]
    data: Option<NextData<'a>>,
}

#[derive(serde::Deserialize)]
struct NextData<'a> {
    #[serde(borrow, rename = "operationUpdated")]
    operation_updated: Option<Updated<'a>>,
}

#[derive(serde::Deserialize)]
struct Updated<'a> {
    id: &'a str,
}

/// The CPU time process `pid` (or `self`) has used, in milliseconds (user and system, at the
/// kernel's clock tick: 10 ms here).
fn cpu_ms(pid: &str) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which may hold spaces: utime and stime are 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let tick = |i: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("short /proc/{pid}/stat"))?
            .parse()?)
    };
    Ok((tick(11)? + tick(12)?) * 1000 / TICKS_PER_SECOND)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`), which Linux fixes at 100 for
/// user space.
const TICKS_PER_SECOND: u64 = 100;

/// One event of an operation, as one subscriber received it.
struct Heard {
    subscriber: usize,
    operation: String,
    at: Instant,
}

/// Wait until `n` subscribers have heard of operation `id`; when the last one first did.
async fn last_arrival(
    seen: &mut mpsc::UnboundedReceiver<Heard>,
    id: &str,
    n: usize,
) -> anyhow::Result<Instant> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    // Each reader reports a subscription's first message about an operation; the set makes
    // sure none counts twice.
    let mut heard = std::collections::HashSet::new();
    let mut last = None;
    while heard.len() < n {
        let event = tokio::time::timeout_at(deadline, seen.recv())
            .await
            .map_err(|_| anyhow::anyhow!("only {} of {n} subscribers heard {id}", heard.len()))?
            .ok_or_else(|| anyhow::anyhow!("every subscriber closed"))?;
        if event.operation == id && heard.insert(event.subscriber) {
            last = last.max(Some(event.at));
        }
    }
    last.ok_or_else(|| anyhow::anyhow!("no subscriber"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    providers::install_crypto_provider();
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} must be set"));
    let url = env("BENCH_URL")?;
    let pid: i32 = env("BENCH_PID")?.parse()?;
    let counts: Vec<usize> = env("BENCH_SUBSCRIBERS")
        .unwrap_or_else(|_| "1000,10000,20000".to_owned())
        .split(',')
        .map(|c| c.trim().parse())
        .collect::<Result<_, _>>()?;
    let http = reqwest::Client::new();
    let login: Value = http
        .post(&url)
        .json(&json!({"query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                      "variables": {"e": env("BENCH_EMAIL")?, "p": env("BENCH_PASSWORD")?}}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login: {login}"))?
        .to_owned();
    let bench = Arc::new(Bench {
        url,
        token,
        pid,
        http,
        distinct: std::env::var("BENCH_DISTINCT").is_ok_and(|v| v == "1"),
    });

    println!(
        "| subscribers (connections) | one change, to the last | CPU meanwhile, server / this client | server RSS idle with them | per subscription | RSS 15 s after they leave |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in counts {
        let before = bench.rss_kib()?;
        let (seen_tx, mut seen) = mpsc::unbounded_channel();
        // Past what this machine's file limit allows, connections carry several subscriptions.
        let per = n.div_ceil(MAX_CONNECTIONS);
        let connections = n.div_ceil(per);
        let mut readers = Vec::with_capacity(connections);
        let mut opened = futures::stream::iter((0..connections).map(|index| {
            let (bench, seen_tx) = (bench.clone(), seen_tx.clone());
            let first = index * per;
            let count = per.min(n - first);
            async move { bench.connection(first, count, seen_tx).await }
        }))
        .buffer_unordered(OPENING);
        while let Some(reader) = opened.next().await {
            readers.push(reader?);
        }
        drop(opened);
        drop(seen_tx);
        // Every subscription is in place once each has heard a first operation.
        let warm = bench.start_operation().await?;
        last_arrival(&mut seen, &warm, n).await?;
        while seen.try_recv().is_ok() {}
        let idle = bench.rss_kib()?;

        let (server_before, client_before) = (cpu_ms(&bench.pid.to_string())?, cpu_ms("self")?);
        let sent = Instant::now();
        let id = bench.start_operation().await?;
        let last = last_arrival(&mut seen, &id, n).await?;
        let fanout = last.duration_since(sent);
        let server_cpu = cpu_ms(&bench.pid.to_string())? - server_before;
        let client_cpu = cpu_ms("self")? - client_before;

        for reader in &readers {
            reader.abort();
        }
        drop(readers);
        let deadline = Instant::now() + Duration::from_secs(60);
        while bench.open_subscriptions().await? > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Freed memory goes back to the system over the allocator's decay time (jemalloc's
        // ten seconds): the figure is the lowest reading over the fifteen seconds after the
        // last subscription closed.
        let mut after = bench.rss_kib()?;
        let settled = Instant::now() + SETTLE;
        while Instant::now() < settled {
            tokio::time::sleep(Duration::from_millis(500)).await;
            after = after.min(bench.rss_kib()?);
        }
        println!(
            "| {n} ({connections}) | {:.0} ms | {server_cpu} / {client_cpu} ms | {:.0} MiB | {:.1} KiB | {:.0} MiB (before: {:.0} MiB) |",
            fanout.as_secs_f64() * 1000.0,
            idle as f64 / 1024.0,
            idle.saturating_sub(before) as f64 / n as f64,
            after as f64 / 1024.0,
            before as f64 / 1024.0,
        );
    }
    Ok(())
}
