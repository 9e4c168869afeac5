//! The Hetzner and DigitalOcean clients against the fake clouds (`testkit::cloud`), which
//! answer only what the official API descriptions allow; and, when tokens are given, against
//! the real ones. The fakes' own tests are in `testkit/tests/cloud`.
//!
//! # Layout
//! * `behaviour`: what both clients must do, run against each fake by `both_clouds!`.
//! * `hetzner`, `digitalocean`: each API's own requests (bodies, deletes, plans).
//! * `real`: `#[ignore]`d runs against the real APIs (`HETZNER_API_TOKEN`, `DO_API_TOKEN`).

mod behaviour;
mod common;
mod digitalocean;
mod hetzner;
mod real;

/// One `#[tokio::test]` per cloud for each behaviour named, in modules `hetzner_client` and
/// `digitalocean_client`.
macro_rules! both_clouds {
    ($($name:ident),* $(,)?) => {
        mod hetzner_client {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::behaviour::$name(providers::cloud::CloudKind::Hetzner).await;
                }
            )*
        }
        mod digitalocean_client {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::behaviour::$name(providers::cloud::CloudKind::DigitalOcean).await;
                }
            )*
        }
    };
}

both_clouds!(
    get_returns_the_vm_and_none_for_an_unknown_id,
    a_new_vm_starts_then_runs,
    a_list_follows_next_page_until_the_last_page,
    find_by_server_id_finds_only_that_servers_vm,
    a_create_action_is_polled_until_it_succeeds,
    a_failed_create_action_is_reported_failed,
    a_powered_off_vm_is_off_once_its_action_succeeds,
    a_429_is_waited_out_until_the_reset_then_succeeds,
    a_request_after_the_last_one_allowed_waits_for_the_reset,
    a_rate_limit_reset_beyond_the_longest_wait_is_transient_at_once,
    server_errors_are_retried_then_succeed,
    persistent_server_errors_are_transient_after_three_tries,
    a_create_is_not_sent_again_after_a_server_error,
    a_bad_token_is_permanent_and_never_shown,
    provider_codes_are_permanent_or_transient_with_the_code_shown,
);
