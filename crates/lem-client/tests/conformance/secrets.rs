//! BC-24: the token, its Base64 form and secrets in device answers appear in no error, no
//! returned value and no trace log line, on success and failure paths alike, in both auth modes.

use std::time::Duration;

use bytes::Bytes;
use lem_client::{
    AuthMode, DeviceClient, DeviceConfig, DeviceError, ProxySetting, RegistryApi, SecretString,
    TlsPolicy,
};
use lem_sim::{Fault, FaultKind, Op, SimConfig, Simulator};
use serde_json::json;
use url::Url;

use crate::common::*;

const CANARY: &str = "LEMTOKEN-canary-9d1e";
/// base64("LEMTOKEN-canary-9d1e:"), the Basic header value.
const CANARY_BASIC: &str = "TEVNVE9LRU4tY2FuYXJ5LTlkMWU6";
/// The prefix shared by the Base64 of the token with and without the colon.
const CANARY_BASE64_STEM: &str = "TEVNVE9LRU4tY2FuYXJ5LTlkMWU";
const PROXY_SECRET: &str = "pp-secret-4411";

fn json_fault(status: u16, body: &'static str) -> Fault {
    Fault::always(FaultKind::Raw {
        status,
        content_type: Some("application/json".into()),
        body: Bytes::from_static(body.as_bytes()),
    })
}

fn canary_config(base: &str, auth: AuthMode, tls: TlsPolicy) -> DeviceConfig {
    let mut config = DeviceConfig::new(
        "canary",
        Url::parse(base).expect("url"),
        SecretString::from(CANARY),
        tls,
    );
    config.auth = auth;
    config.proxy = ProxySetting::None;
    config.timeouts = short_timeouts(Duration::from_secs(2), Duration::from_secs(1));
    config
}

fn texts_of(results: Vec<Result<String, DeviceError>>, out: &mut Vec<String>) {
    for result in results {
        out.push(match result {
            Ok(value) => value,
            Err(error) => format!("{error} | {error:?}"),
        });
    }
}

fn set_everywhere(sim: &Simulator, fault: &Fault) {
    for op in Op::ALL {
        sim.state().set_fault(op, fault.clone());
    }
}

/// Runs every operation through success and every failure class; returns what a caller could
/// show or log: each value's Debug and each error's Display and Debug.
async fn exercise(sim: &Simulator, wrong_token_sim: &Simulator, auth: AuthMode) -> Vec<String> {
    let mut texts = Vec::new();
    let config = canary_config(&sim.url(), auth, pin(sim));
    texts.push(format!("{config:?}"));
    let client = DeviceClient::with_env(config, |_| None).expect("builds");
    texts.push(format!("{client:?}"));

    // Success, with an info body carrying a password-like extra field.
    texts_of(run_all(&client).await, &mut texts);
    texts.push(format!("{:?}", client.peer_certificate()));

    // Device error bodies quoting the token, in every shape the client reads messages from.
    for fault in [
        json_fault(500, r#"{"error":"bad auth LEMTOKEN-canary-9d1e"}"#),
        json_fault(
            400,
            r#"{"message":"header Basic TEVNVE9LRU4tY2FuYXJ5LTlkMWU6 rejected"}"#,
        ),
        json_fault(
            404,
            r#"{"errors":[{"message":"no LEMTOKEN-canary-9d1e here","code":"X"}]}"#,
        ),
        json_fault(
            405,
            r#"{"error":{"message":"token TEVNVE9LRU4tY2FuYXJ5LTlkMWU= disabled"}}"#,
        ),
        json_fault(503, r#"{"detail":"LEMTOKEN-canary-9d1e"}"#),
        json_fault(
            501,
            r#"{"message":"unpadded TEVNVE9LRU4tY2FuYXJ5LTlkMWU not accepted"}"#,
        ),
        json_fault(
            200,
            r#"{"code":"E","message":"LEMTOKEN-canary-9d1e","messageDetails":"TEVNVE9LRU4tY2FuYXJ5LTlkMWU6"}"#,
        ),
        Fault::always(FaultKind::ErrorEnvelope {
            message: format!("token {CANARY} refused"),
            details: format!("Authorization: Basic {CANARY_BASIC}"),
        }),
        Fault::always(FaultKind::Status(502)),
        Fault::always(FaultKind::TruncatedJson),
        Fault::always(FaultKind::DropAfterApply),
    ] {
        set_everywhere(sim, &fault);
        texts_of(run_all(&client).await, &mut texts);
    }
    sim.state()
        .set_fault(Op::Info, Fault::always(FaultKind::Hang));
    texts_of(
        vec![client.registry_info().await.map(|v| format!("{v:?}"))],
        &mut texts,
    );
    sim.state().clear_all_faults();

    // Failures before or around HTTP: 401, pin mismatch, refused, closed proxy.
    let unauthorized = DeviceClient::with_env(
        canary_config(&wrong_token_sim.url(), auth, pin(wrong_token_sim)),
        |_| None,
    )
    .expect("builds");
    texts_of(run_all(&unauthorized).await, &mut texts);
    let mismatch = DeviceClient::with_env(
        canary_config(&sim.url(), auth, TlsPolicy::Pin { sha256: [7; 32] }),
        |_| None,
    )
    .expect("builds");
    texts_of(run_all(&mismatch).await, &mut texts);
    let closed = format!("https://127.0.0.1:{}", closed_port());
    let refused =
        DeviceClient::with_env(canary_config(&closed, auth, pin(sim)), |_| None).expect("builds");
    texts_of(
        vec![refused.list_images().await.map(|v| format!("{v:?}"))],
        &mut texts,
    );
    let mut proxied = canary_config(&sim.url(), auth, pin(sim));
    proxied.proxy = ProxySetting::Url(format!(
        "http://{CANARY}:{PROXY_SECRET}@127.0.0.1:{}",
        closed_port()
    ));
    let proxied = DeviceClient::with_env(proxied, |_| None).expect("builds");
    texts.push(format!("{proxied:?}"));
    texts_of(
        vec![proxied.list_images().await.map(|v| format!("{v:?}"))],
        &mut texts,
    );
    texts
}

#[test]
fn bc24_the_token_its_base64_and_device_secrets_appear_in_no_error_value_or_trace_log() {
    // The simulator runs on its own runtime and threads, outside the capture: only what the
    // client side (lem-client, reqwest, hyper, rustls) emits is searched.
    let device_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("device runtime");
    for (auth, sim_auth) in AUTH_MODES {
        let info = json!({"state": true, "authState": true, "proxyState": true, "proxyUser": "edge", "proxyPassword": PROXY_SECRET});
        let sim = device_runtime
            .block_on(Simulator::start(
                SimConfig::new(CANARY)
                    .auth_mode(sim_auth)
                    .rows(bc01_rows())
                    .info(info),
            ))
            .expect("simulator");
        let wrong_token_sim = device_runtime
            .block_on(Simulator::start(
                SimConfig::new("not-the-canary").auth_mode(sim_auth),
            ))
            .expect("simulator");

        let capture = LogCapture::default();
        let texts = tracing::subscriber::with_default(capture.subscriber(), || {
            let client_runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("client runtime");
            let texts = client_runtime.block_on(exercise(&sim, &wrong_token_sim, auth));
            drop(client_runtime);
            texts
        });
        let log = capture.text();

        // The exercise really went through the paths that carry secrets.
        assert!(
            sim.state().counters().requests >= 40,
            "{:?}",
            sim.state().counters()
        );
        assert!(
            texts.iter().any(|t| t.contains("bad auth [redacted]")),
            "{texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("proxy_user: Some(\"edge\")")),
            "{texts:#?}"
        );
        assert!(log.contains("device_call"), "the funnel's span is captured");
        assert!(log.contains("TRACE"), "trace level is captured");
        assert!(
            log.contains("reqwest"),
            "reqwest's log records are captured too"
        );

        for needle in [CANARY, CANARY_BASIC, CANARY_BASE64_STEM, PROXY_SECRET] {
            for text in &texts {
                assert!(
                    !text.contains(needle),
                    "{needle} leaked ({auth:?}) in: {text}"
                );
            }
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                panic!("{needle} leaked ({auth:?}) into the trace log: {line}");
            }
        }
    }
}
