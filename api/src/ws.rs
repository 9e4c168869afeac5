//! The `graphql-transport-ws` protocol on `GET /graphql`.
//!
//! Written here rather than taken from async-graphql-axum, whose defaults get several close
//! codes wrong and have no init timeout. The codes, from the protocol's specification:
//!
//! | code | when |
//! |------|------|
//! | 4400 | a message that is not valid JSON of a known type, or binary |
//! | 4401 | `subscribe` before the server acknowledged `connection_init` |
//! | 4403 | `connection_init` with a missing or invalid token; the token expired or was revoked, its user disabled or deleted, or a role taken away |
//! | 4408 | no `connection_init` within the init timeout |
//! | 4409 | `subscribe` with an id already in use |
//! | 4429 | a second `connection_init` |
//! | 1009 | a message larger than allowed: [`Limits::ws_max_init_message_bytes`] before `connection_ack`, [`Limits::ws_max_message_bytes`] after (RFC 6455's "message too big") |
//! | 1008 | `subscribe` past [`Limits::ws_max_subscriptions`] open on the connection (RFC 6455's "policy violation") |
//! | 1013 | `connection_init` for a user who has [`Limits::ws_max_connections_per_user`] connections open to this process already (RFC 6455's "try again later") |
//!
//! The token is checked in `connection_init`, and again whenever the database announces a
//! change of access that concerns it; the connection closes (4403) when it expires or allows
//! less than it did, ending every subscription on it.
//!
//! Each connection is one task, which reads the client's messages and its subscriptions'
//! answers and writes them to the socket. Subscriptions with the same request by callers who
//! see the same share one stream and one serialized answer per event ([`shared`]); each
//! connection only splices its subscription's id into the `next` message.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::OperationType;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{FutureExt as _, SinkExt as _, Stream, StreamExt as _};
use jobs::events::Event;
use jobs::user::UserId;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_stream::StreamMap;

use crate::auth::{Caller, bearer};
use crate::graphql::Origin;
use crate::{AppState, Limits};
pub(crate) use shared::Groups;

mod shared;

/// The subprotocol we speak.
pub(crate) const PROTOCOL: &str = "graphql-transport-ws";

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<serde_json::Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<serde_json::Value>,
    },
    Pong {},
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

/// An operation's responses, as async-graphql's stream gives them.
type Responses = Pin<Box<dyn Stream<Item = async_graphql::Response> + Send>>;

/// A response serialized once, for the `payload` of every `next` message that carries it.
type Payload = Arc<str>;

/// One subscription's answers, each `Some`, then `None` once it ran out (so that the
/// connection can send `complete`): its own stream's, or its group's (see [`shared`]).
type Source = Pin<Box<dyn Stream<Item = Option<Payload>> + Send>>;

/// How much each connection reads ahead. tungstenite's default, 128 KiB, held for every idle
/// subscriber, was most of what one cost; messages here are small (a `subscribe` of a
/// dashboard's document, a `connection_init` with a token), and a larger one grows the
/// buffer to hold it.
const READ_BUFFER: usize = 1024;

/// How much written data the connection gathers before writing to the socket: answers ready
/// together go out in one write, flushed when there are no more (see [`serve`]).
const WRITE_BUFFER: usize = 16 * 1024;

/// The most answers gathered into one write; the others wait for the next turn, so that one
/// busy connection does not hold its worker thread.
const MAX_BATCH: usize = 64;

/// The WebSocket connections open to this process, counted per user.
#[derive(Debug)]
pub(crate) struct Sockets {
    max_per_user: usize,
    open: Mutex<HashMap<UserId, usize>>,
}

impl Sockets {
    pub(crate) fn new(max_per_user: usize) -> Self {
        Self {
            max_per_user,
            open: Mutex::default(),
        }
    }

    /// Count one more connection for `user`, for as long as the slot lives; `None` when the
    /// user has the most allowed open already.
    fn admit(self: &Arc<Self>, user: UserId) -> Option<Slot> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(user).or_default();
        if *count >= self.max_per_user {
            if *count == 0 {
                open.remove(&user);
            }
            return None;
        }
        *count += 1;
        Some(Slot {
            sockets: self.clone(),
            user,
        })
    }
}

/// One counted connection; dropping it gives its place back.
struct Slot {
    sockets: Arc<Sockets>,
    user: UserId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .sockets
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Accept the upgrade, speaking `graphql-transport-ws`. Frames and messages larger than the
/// later limit are refused while they are read, before being buffered whole; the smaller
/// limit before `connection_ack` is checked on each message. Answers ready together are
/// written together ([`WRITE_BUFFER`]).
pub(crate) fn upgrade(ws: WebSocketUpgrade, state: AppState, origin: Origin) -> Response {
    let limits: &Limits = &state.limits;
    let max = limits
        .ws_max_message_bytes
        .max(limits.ws_max_init_message_bytes);
    ws.protocols([PROTOCOL])
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, state, origin))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn serve(socket: WebSocket, state: AppState, origin: Origin) {
    let (mut sink, mut stream) = socket.split();
    // Every subscription of the connection is read by the connection's own task: no task or
    // channel of its own; a shared one's group queues its answers for it.
    let mut subscriptions: StreamMap<String, Source> = StreamMap::new();
    let mut caller: Option<Caller> = None;
    // The token the connection was opened with, to check again when access changes: a
    // disabled user, a revoked API token or a changed membership ends the connection at once.
    let mut token: Option<String> = None;
    let mut access = state.cx.bus.subscribe_access();
    let mut init_seen = false;
    // Held while the connection is open and signed in.
    let mut slot: Option<Slot> = None;
    let init_deadline = tokio::time::sleep(state.limits.ws_init_timeout);
    tokio::pin!(init_deadline);
    // Re-armed to the token's expiry once the caller is known.
    let expiry =
        tokio::time::sleep_until(Instant::now() + std::time::Duration::from_secs(86400 * 365));
    tokio::pin!(expiry);

    let closing: Option<Message> = 'connection: loop {
        tokio::select! {
            () = &mut init_deadline, if !init_seen => {
                break Some(close(4408, "Connection initialisation timeout"));
            }
            () = &mut expiry, if caller.is_some() => {
                break Some(close(4403, "Forbidden: token expired"));
            }
            event = access.recv(), if caller.is_some() => {
                // The cache of identities heard the event before this connection did: the
                // re-check sees the state after it.
                let recheck = match &event {
                    Ok(event) => match &**event {
                        Event::AccessChanged(change) => {
                            caller.as_ref().is_some_and(|c| c.is_affected_by(change))
                        }
                        // Missed events may have included a change of access.
                        Event::Resync => true,
                        _ => false,
                    },
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => false,
                };
                if recheck && let (Some(before), Some(token)) = (&caller, &token) {
                    // Boxed: the check's future is large and rare, and would otherwise make
                    // every idle connection's task as large.
                    match Box::pin(Caller::from_token(&state.cx.keys, &state.cx.db, &state.identities, token)).await {
                        // More access (a project made or joined): later subscriptions get it.
                        Ok(now) if !reduced(before, &now) => caller = Some(now),
                        Ok(_) => break Some(close(4403, "Forbidden: access reduced; reconnect")),
                        Err(e) => {
                            tracing::info!("closing a WebSocket whose access ended: {e}");
                            break Some(close(4403, "Forbidden: access revoked"));
                        }
                    }
                }
            }
            Some(first) = subscriptions.next(), if !subscriptions.is_empty() => {
                // Every answer ready by now goes out in one write: a change is often followed
                // at once by the next (an operation created, started, done), and a socket write
                // costs more than the message.
                let mut ready = Some(first);
                let mut written = 0;
                while let Some((id, response)) = ready.take() {
                    let text = match response {
                        Some(payload) => next_message(&id, &payload),
                        None => {
                            subscriptions.remove(&id);
                            json!({"type": "complete", "id": id}).to_string()
                        }
                    };
                    if sink.feed(Message::Text(text.into())).await.is_err() {
                        break 'connection None;
                    }
                    written += 1;
                    if written < MAX_BATCH {
                        ready = subscriptions.next().now_or_never().flatten();
                    }
                }
                if sink.flush().await.is_err() {
                    break None;
                }
            }
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Err(e)) if too_big(&e) => break Some(close(1009, "Message too big")),
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break None,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => break Some(close(4400, "Binary messages are not supported")),
                    Some(Ok(Message::Text(text))) => text,
                };
                // Before the caller is known, a message is a `connection_init` (a token and
                // little else) or a ping.
                if caller.is_none() && text.len() > state.limits.ws_max_init_message_bytes {
                    break Some(close(1009, "Message too big"));
                }
                let Ok(message) = serde_json::from_str::<ClientMessage>(&text) else {
                    break Some(close(4400, "Invalid message received"));
                };
                let reply = match message {
                    ClientMessage::ConnectionInit { payload } => {
                        if init_seen {
                            break Some(close(4429, "Too many initialisation requests"));
                        }
                        init_seen = true;
                        let Some((authorized, presented)) = Box::pin(authorize(&state, payload.as_ref())).await else {
                            break Some(close(4403, "Forbidden"));
                        };
                        let Some(admitted) = state.sockets.admit(authorized.user_id) else {
                            break Some(close(1013, "Too many connections for this user"));
                        };
                        slot = Some(admitted);
                        token = Some(presented);
                        let left = (authorized.expires_at - chrono::Utc::now()).to_std().unwrap_or_default();
                        expiry.as_mut().reset(Instant::now() + left);
                        caller = Some(authorized);
                        json!({"type": "connection_ack"}).to_string()
                    }
                    ClientMessage::Ping { payload } => match payload {
                        Some(p) => json!({"type": "pong", "payload": p}),
                        None => json!({"type": "pong"}),
                    }
                    .to_string(),
                    ClientMessage::Pong {} => continue,
                    ClientMessage::Subscribe { id, payload } => {
                        let Some(caller) = &caller else {
                            break Some(close(4401, "Unauthorized"));
                        };
                        if subscriptions.contains_key(&id) {
                            break Some(close(4409, "Subscriber for this id already exists"));
                        }
                        if subscriptions.len() >= state.limits.ws_max_subscriptions {
                            break Some(close(1008, "Too many subscriptions on this connection"));
                        }
                        let request = payload.data(origin.clone());
                        let (first, responses) = start_subscription(&state, caller.clone(), &id, request);
                        if let Some(responses) = responses {
                            subscriptions.insert(id, responses);
                        }
                        match first {
                            Some(text) => text,
                            None => continue,
                        }
                    }
                    ClientMessage::Complete { id } => {
                        subscriptions.remove(&id);
                        continue;
                    }
                };
                if sink.send(Message::Text(reply.into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    drop(subscriptions);
    if let Some(frame) = closing {
        let _ = sink.send(frame).await;
        let _ = sink.close().await;
    }
    drop(slot);
}

/// Whether a read failed because the message (or a frame of it) passed the size limit.
/// axum hides tungstenite's error type, so this reads its message: `Space limit exceeded:
/// Message too long: <size> > <max>`.
fn too_big(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.to_string().contains("Message too long") {
            return true;
        }
        source = err.source();
    }
    false
}

/// Whether `now` may do less than `before`: site admin no more, or a project left or a
/// lower role in one. Open subscriptions were authorized with `before`, so they must end.
fn reduced(before: &Caller, now: &Caller) -> bool {
    (before.is_site_admin && !now.is_site_admin)
        || before
            .memberships
            .iter()
            .any(|m| now.role_in(m.project_id).is_none_or(|role| role < m.role))
}

/// The caller named by `connection_init`'s `{"authorization": "Bearer <token>"}`, and the
/// token.
async fn authorize(
    state: &AppState,
    payload: Option<&serde_json::Value>,
) -> Option<(Caller, String)> {
    let value = payload?;
    let header = value
        .get("authorization")
        .or_else(|| value.get("Authorization"))?
        .as_str()?;
    let token = bearer(header)?;
    match Caller::from_token(&state.cx.keys, &state.cx.db, &state.identities, token).await {
        Ok(caller) => Some((caller, token.to_owned())),
        Err(e) => {
            tracing::info!("refused WebSocket connection: {e}");
            None
        }
    }
}

/// Start subscription `id` of `caller`: its source of answers, listening for events before
/// the connection reads the client's next message (a client that sees the answer to a later
/// `ping` knows the subscription is live), and the message to send at once, if any: `error`
/// for a document that does not parse or validate (there is no source then), a `next`, or a
/// `complete`.
///
/// A subscription joins the group of the same request by the same viewer if one runs, and
/// is answered from its stream (see [`shared`]); else its own stream is polled once here,
/// and a subscription operation still listening after that starts a group for others to
/// join. Queries and mutations, which answer once, keep their own stream.
fn start_subscription(
    state: &AppState,
    caller: Caller,
    id: &str,
    request: async_graphql::Request,
) -> (Option<String>, Option<Source>) {
    let key = shared::Key::new(&request, &caller);
    // The group's stream passed the same checks for the very same request and viewer.
    if let Some(member) = key.as_ref().and_then(|key| state.groups.join(key)) {
        return (None, Some(member));
    }
    let prepared = match state.documents.prepare(request) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            let message = json!({"type": "error", "id": id, "payload": refusal});
            return (Some(message.to_string()), None);
        }
    };
    let subscription = prepared.root == Some(OperationType::Subscription);
    let shared = key.filter(|_| subscription);
    // Queries and mutations are counted as over HTTP; subscriptions are not operations that end.
    let counted = (!subscription).then_some(prepared.label);
    let mut responses: Responses = Box::pin(
        state
            .schema_for(prepared.root)
            .execute_stream(prepared.request.data(caller))
            .map(move |mut response| {
                crate::graphql::documents::code_limit_errors(&mut response);
                if let Some(label) = &counted
                    && !crate::http::request_error(&response)
                {
                    crate::graphql::measure::count(label, response.errors.is_empty());
                }
                response
            }),
    );
    match responses.next().now_or_never() {
        // Listening: the group's task, or the connection's loop, polls it from now on.
        None => match shared {
            Some(key) => (None, Some(state.groups.start(key, responses))),
            None => (None, Some(own(responses))),
        },
        // The protocol answers a document that does not parse or validate with `error` and
        // its GraphQL errors, which ends the operation; resolvers' errors carry a path and go
        // in `next`.
        Some(Some(response))
            if response.data == async_graphql::Value::Null
                && !response.errors.is_empty()
                && response.errors.iter().all(|e| e.path.is_empty()) =>
        {
            let message = json!({"type": "error", "id": id, "payload": response.errors});
            (Some(message.to_string()), None)
        }
        // An answer at once: not a subscription that waits for events, so not shared.
        Some(Some(response)) => (
            Some(next_message(id, &payload(&response))),
            Some(own(responses)),
        ),
        Some(None) => (
            Some(json!({"type": "complete", "id": id}).to_string()),
            None,
        ),
    }
}

/// A source of answers of its own: `responses`, serialized, counted as an open subscription
/// while it lives.
fn own(responses: Responses) -> Source {
    let open = OpenSubscription::new();
    Box::pin(
        responses
            .map(|response| Some(payload(&response)))
            .chain(futures::stream::once(async move {
                drop(open);
                None
            })),
    )
}

/// `response` serialized, for the `payload` of a `next` message.
fn payload(response: &async_graphql::Response) -> Payload {
    serde_json::to_string(response)
        .unwrap_or_else(|e| {
            tracing::error!("failed to serialize a subscription's response: {e}");
            json!({"data": null, "errors": [{"message": "internal error", "extensions": {"code": crate::error::code::INTERNAL}}]})
                .to_string()
        })
        .into()
}

/// The `next` message carrying `payload` (already JSON) for subscription `id`.
fn next_message(id: &str, payload: &str) -> String {
    // The id is the client's text: quoted and escaped as JSON.
    let id = serde_json::Value::from(id);
    format!(r#"{{"type":"next","id":{id},"payload":{payload}}}"#)
}

/// Counts an open subscription for as long as it lives, however its task ends.
struct OpenSubscription;

impl OpenSubscription {
    fn new() -> Self {
        jobs::telemetry::TELEMETRY.active_subscriptions.inc();
        Self
    }
}

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        jobs::telemetry::TELEMETRY.active_subscriptions.dec();
    }
}
