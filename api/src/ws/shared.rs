//! Subscriptions that share one answer.
//!
//! Subscriptions with the same document, operation name and variables, opened by callers
//! who may see and do exactly the same, get the same answer to every event. They join one
//! [`Group`] of this process, which runs ONE async-graphql stream for them all and
//! serializes each of its responses once; each member's connection splices the shared
//! payload into its own `next` message. Ten thousand dashboards following operations cost
//! one resolution and one serialization per event, not ten thousand.
//!
//! A group is found by its [`Key`], which holds everything an answer may depend on: the
//! request (document text, operation name, variables) and the caller as resolvers see it
//! ([`Viewer`]: user, API token, email, site-admin flag, every membership and role). Nobody
//! ever gets an answer computed for another identity, and a caller whose access changed
//! has another key, so their new subscriptions start or join another group. Only the
//! token's expiry is left out: each connection enforces its own, and no resolver reads it.
//!
//! Each member reads the group's responses from a bounded broadcast ([`MEMBER_QUEUE`]): a
//! slow connection never holds up the others, and one that falls that far behind is told
//! with a `LAGGED` error, as a subscription that falls behind the event bus is. The group's
//! stream is dropped when its last member leaves.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, ready};

use futures::{Stream, StreamExt as _};
use jobs::user::{ProjectId, Role, UserId};
use serde_json::json;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{OpenSubscription, Payload, Responses, Source, payload};
use crate::auth::Caller;
use crate::error::code;

/// How many responses a member may fall behind its group before it is told it lagged. The
/// event bus buffers events ahead of the group's one stream; this only has to absorb a
/// connection's stalls, and it is allocated once per group.
const MEMBER_QUEUE: usize = 64;

/// Everything a subscription's answers depend on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON, in the order sent.
    variables: String,
    viewer: Viewer,
}

impl Key {
    /// The key of `request` by `caller`; `None` for a request that carries extensions (which
    /// nothing here reads, but which are not worth comparing either).
    pub(super) fn new(request: &async_graphql::Request, caller: &Caller) -> Option<Self> {
        if !request.extensions.is_empty() {
            return None;
        }
        Some(Self {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
            viewer: Viewer::new(caller),
        })
    }
}

/// The caller as resolvers and authorization see them: all of [`Caller`] but the expiry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Viewer {
    user_id: UserId,
    token_id: Option<uuid::Uuid>,
    email: String,
    is_site_admin: bool,
    /// Sorted by project, so that the order they were loaded in does not matter.
    memberships: Vec<(ProjectId, String, Role)>,
}

impl Viewer {
    fn new(caller: &Caller) -> Self {
        let mut memberships: Vec<_> = caller
            .memberships
            .iter()
            .map(|m| (m.project_id, m.project_name.clone(), m.role))
            .collect();
        memberships.sort_by_key(|(project, _, _)| project.0);
        Self {
            user_id: caller.user_id,
            token_id: caller.token_id,
            email: caller.email.clone(),
            is_site_admin: caller.is_site_admin,
            memberships,
        }
    }
}

/// This process's groups, by key.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    open: Mutex<HashMap<Key, Weak<Group>>>,
}

impl Groups {
    /// Join the running group of `key`, if there is one.
    pub(super) fn join(self: &Arc<Self>, key: &Key) -> Option<Source> {
        let group = self.lock().get(key).and_then(Weak::upgrade)?;
        // Dropped outside the lock: the last reference's drop takes it.
        Member::of(group)
    }

    /// Start a group for `key` that runs `stream`, polled once already and listening, and
    /// make the caller its first member. Another connection may have started one for the
    /// same key meanwhile: then this one joins that, and `stream` is dropped.
    pub(super) fn start(self: &Arc<Self>, key: Key, stream: Responses) -> Source {
        let (sender, receiver) = broadcast::channel(MEMBER_QUEUE);
        let mut open = self.lock();
        if let Some(running) = open.get(&key).and_then(Weak::upgrade) {
            drop(open);
            if let Some(member) = Member::of(running) {
                return member;
            }
            open = self.lock();
        }
        let weak = sender.downgrade();
        let task = tokio::spawn(run(stream, sender)).abort_handle();
        let group = Arc::new(Group {
            groups: Arc::downgrade(self),
            key: key.clone(),
            sender: weak,
            task,
        });
        open.insert(key, Arc::downgrade(&group));
        drop(open);
        Box::pin(Member {
            responses: BroadcastStream::new(receiver),
            _group: group,
            ended: false,
            _open: OpenSubscription::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Weak<Group>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drive a group's one stream, serializing each response once for every member. Ends when
/// the stream does (dropping the sender ends every member's subscription with `complete`),
/// or is aborted when the last member left.
async fn run(mut stream: Responses, sender: broadcast::Sender<Payload>) {
    let _running = RunningStream::new();
    while let Some(response) = stream.next().await {
        // No receiver means the last member is leaving, or one is joining as another left:
        // the group's drop aborts this task in the first case, so it goes on.
        let _ = sender.send(payload(&response));
    }
}

/// Subscriptions sharing one stream. Members hold it; dropped with the last, which ends the
/// stream.
struct Group {
    groups: Weak<Groups>,
    key: Key,
    /// The stream's task holds the sender; a member joins through this while it runs.
    sender: broadcast::WeakSender<Payload>,
    task: AbortHandle,
}

impl Drop for Group {
    fn drop(&mut self) {
        self.task.abort();
        let Some(groups) = self.groups.upgrade() else {
            return;
        };
        let mut open = groups.lock();
        // The key may name a newer group by now.
        if open
            .get(&self.key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
        {
            open.remove(&self.key);
        }
    }
}

/// One subscription's membership of a group: the shared payloads, then `None` once the
/// group's stream ran out.
struct Member {
    responses: BroadcastStream<Payload>,
    /// Kept alive by its members.
    _group: Arc<Group>,
    ended: bool,
    _open: OpenSubscription,
}

impl Member {
    /// A new member of `group`; `None` if its stream has ended (the group goes with its
    /// last member).
    fn of(group: Arc<Group>) -> Option<Source> {
        let receiver = group.sender.upgrade()?.subscribe();
        Some(Box::pin(Self {
            responses: BroadcastStream::new(receiver),
            _group: group,
            ended: false,
            _open: OpenSubscription::new(),
        }))
    }
}

impl Stream for Member {
    type Item = Option<Payload>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let item = match ready!(self.responses.poll_next_unpin(cx)) {
            Some(Ok(payload)) => Some(payload),
            Some(Err(BroadcastStreamRecvError::Lagged(missed))) => Some(lagged(missed)),
            None => {
                self.ended = true;
                None
            }
        };
        Poll::Ready(Some(item))
    }
}

/// The answer for a member that fell `missed` responses behind its group: a `LAGGED` error,
/// as for a subscription that falls behind the event bus (see `graphql::watch`).
fn lagged(missed: u64) -> Payload {
    let body = json!({
        "data": null,
        "errors": [{
            "message": format!("this subscription fell behind and missed {missed} updates; refetch"),
            "extensions": {"code": code::LAGGED},
        }],
    });
    body.to_string().into()
}

/// Counts a running group stream for as long as it lives, however its task ends.
struct RunningStream;

impl RunningStream {
    fn new() -> Self {
        jobs::telemetry::TELEMETRY.subscription_streams.inc();
        Self
    }
}

impl Drop for RunningStream {
    fn drop(&mut self) {
        jobs::telemetry::TELEMETRY.subscription_streams.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{Request, Response, Value};
    use jobs::user::Membership;
    use tokio_stream::wrappers::UnboundedReceiverStream;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: UserId(uuid::Uuid::nil()),
            email: "viewer@example.com".into(),
            is_site_admin: false,
            memberships: vec![Membership {
                project_id: jobs::user::DEFAULT_PROJECT_ID,
                project_name: "default".into(),
                role,
            }],
            expires_at: chrono::Utc::now(),
            token_id: None,
        }
    }

    #[test]
    fn callers_who_may_do_different_things_never_share_a_key() {
        let request = Request::new("subscription { operationUpdated { id } }");
        let key = |c: &Caller| Key::new(&request, c).expect("a key");
        let viewer = caller(Role::Viewer);
        let mut later = viewer.clone();
        later.expires_at += chrono::Duration::hours(1);
        assert_eq!(key(&viewer), key(&later), "the expiry is each connection's");
        assert_ne!(key(&viewer), key(&caller(Role::Operator)));
        let mut admin = viewer.clone();
        admin.is_site_admin = true;
        assert_ne!(key(&viewer), key(&admin));
        let mut token = viewer.clone();
        token.token_id = Some(uuid::Uuid::nil());
        assert_ne!(key(&viewer), key(&token));
        let mut other = viewer.clone();
        other.user_id = UserId(uuid::Uuid::max());
        assert_ne!(key(&viewer), key(&other));
        let variables = Request::new(request.query.clone()).variables(
            async_graphql::Variables::from_json(serde_json::json!({"id": "1"})),
        );
        assert_ne!(key(&viewer), Key::new(&variables, &viewer).expect("a key"));
    }

    #[tokio::test]
    async fn a_member_that_falls_behind_is_told_it_lagged_without_holding_up_the_others() {
        let groups = Arc::new(Groups::default());
        let (responses, stream) = tokio::sync::mpsc::unbounded_channel();
        let key =
            Key::new(&Request::new("subscription { x }"), &caller(Role::Viewer)).expect("a key");
        let mut slow = groups.start(key.clone(), Box::pin(UnboundedReceiverStream::new(stream)));
        let mut quick = groups.join(&key).expect("the running group");
        let sent = i32::try_from(MEMBER_QUEUE).unwrap() + 10;
        for n in 0..sent {
            responses
                .send(Response::new(Value::from(n)))
                .expect("the group runs");
            let next = quick.next().await.flatten().expect("an answer");
            assert_eq!(&*next, format!(r#"{{"data":{n}}}"#));
        }
        let first = slow.next().await.flatten().expect("an answer");
        assert!(first.contains("LAGGED"), "{first}");
        assert!(first.contains("missed 10 updates"), "{first}");
        let next = slow.next().await.flatten().expect("an answer");
        assert_eq!(&*next, r#"{"data":10}"#, "then the oldest it still has");

        drop((slow, quick));
        assert!(groups.lock().is_empty(), "the last member took the group");
        tokio::time::timeout(std::time::Duration::from_secs(5), responses.closed())
            .await
            .expect("and its stream");
    }

    #[test]
    fn a_lagged_answer_is_a_lagged_error() {
        let body: serde_json::Value = serde_json::from_str(&lagged(3)).expect("JSON");
        assert_eq!(body["errors"][0]["extensions"]["code"], "LAGGED");
        assert!(body["data"].is_null());
    }
}
