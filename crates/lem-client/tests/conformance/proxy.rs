//! The outbound proxy (BC-22): a configured or environment proxy is named when it fails,
//! `NO_PROXY` and "none" connect directly, and proxy credentials never show.

use lem_client::{AuthMode, DeviceClient, DeviceError, ProxySetting, RegistryApi};

use crate::common::*;

fn env<'a>(vars: &'a [(&'a str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

fn assert_proxy_error(error: &DeviceError, proxy: &str) {
    assert!(
        matches!(error, DeviceError::Proxy { proxy: p, .. } if p == proxy),
        "{error:?}"
    );
    let display = error.to_string();
    assert!(
        display.contains(&format!("could not connect to proxy {proxy}")),
        "{display}"
    );
    assert!(
        !display.contains("admin console"),
        "a hint about the device, not the proxy: {display}"
    );
}

#[tokio::test]
async fn bc22_a_configured_proxy_that_refuses_is_a_proxy_error_naming_it() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let port = closed_port();
    let proxy = format!("127.0.0.1:{port}");
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::Url(format!("http://{proxy}"));
    let client = client(config);
    assert_eq!(client.proxy(), Some(proxy.as_str()));
    for result in run_all(&client).await {
        assert_proxy_error(&result.expect_err("the proxy is closed"), &proxy);
    }
    assert_eq!(sim.state().counters().tcp_connections, 0, "never bypassed");
}

#[tokio::test]
async fn bc22_no_proxy_exempts_the_device_and_the_call_goes_direct() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let port = closed_port();
    let vars = [
        ("HTTPS_PROXY", format!("http://user:pw@127.0.0.1:{port}")),
        ("NO_PROXY", "127.0.0.1".to_owned()),
    ];
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::System;
    let client = DeviceClient::with_env(config, env(&vars)).expect("builds");
    assert_eq!(client.proxy(), None);
    for result in run_all(&client).await {
        result.expect("direct connection");
    }
    assert_eq!(sim.state().counters().requests, 4);
}

#[tokio::test]
async fn bc22_without_no_proxy_the_environment_proxy_is_named_and_its_password_never_shows() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let port = closed_port();
    let proxy = format!("127.0.0.1:{port}");
    let vars = [("HTTPS_PROXY", format!("http://user:pw@{proxy}"))];
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::System;
    let capture = LogCapture::default();
    let guard = tracing::subscriber::set_default(capture.subscriber());
    let client = DeviceClient::with_env(config, env(&vars)).expect("builds");
    assert_eq!(client.proxy(), Some(proxy.as_str()));
    let results = run_all(&client).await;
    drop(guard);
    for result in results {
        let error = result.expect_err("the proxy is closed");
        assert_proxy_error(&error, &proxy);
        let text = format!("{error} {error:?}");
        assert!(!text.contains("pw"), "{text}");
        assert!(!text.contains("user:"), "{text}");
    }
    assert!(!format!("{client:?}").contains("pw"));
    let log = capture.text();
    assert!(log.contains("device call failed"), "{log}");
    assert!(!log.contains("user:pw"), "{log}");
    assert!(!log.contains("dXNlcjpwdw"), "the Base64 of user:pw: {log}");
    assert_eq!(sim.state().counters().tcp_connections, 0);
}

#[tokio::test]
async fn bc22_the_none_setting_connects_directly_whatever_the_environment_says() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let vars = [("HTTPS_PROXY", format!("http://127.0.0.1:{}", closed_port()))];
    let config = config(&sim, AuthMode::Basic);
    assert_eq!(config.proxy, ProxySetting::None);
    let client = DeviceClient::with_env(config, env(&vars)).expect("builds");
    assert_eq!(client.proxy(), None);
    client.list_images().await.expect("direct connection");
}

#[tokio::test]
async fn bc22_no_proxy_matches_an_ipv6_device() {
    let sim =
        start(sim_config(lem_sim::AuthMode::Basic).listen("[::1]:0".parse().expect("address")))
            .await;
    let vars = [
        ("https_proxy", format!("http://127.0.0.1:{}", closed_port())),
        ("no_proxy", "localhost,::1".to_owned()),
    ];
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::System;
    let client = DeviceClient::with_env(config, env(&vars)).expect("builds");
    assert_eq!(client.proxy(), None);
    client.list_images().await.expect("direct connection");
}

/// A minimal HTTP CONNECT proxy: answers each tunnel request with `reply`, and when that is a
/// 200 relays bytes to the requested address. Reports each request head it receives.
async fn connect_proxy(
    reply: &'static str,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (heads, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let heads = heads.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let _ = heads.send(head);
                if client.write_all(reply.as_bytes()).await.is_err() || !reply.contains(" 200 ") {
                    return;
                }
                if let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (addr, received)
}

#[tokio::test]
async fn bc22_a_working_proxy_tunnels_tls_so_it_sees_its_own_credentials_but_never_the_token() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let (proxy, mut heads) = connect_proxy("HTTP/1.1 200 Connection established\r\n\r\n").await;
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::Url(format!("http://user:pw@{proxy}"));
    let client = client(config);
    for result in run_all(&client).await {
        result.expect("works through the tunnel");
    }
    let head = heads.recv().await.expect("a CONNECT request");
    assert!(
        head.starts_with(&format!("CONNECT {} HTTP/1.1\r\n", sim.addr())),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authorization: basic dxnlcjpwdw=="),
        "the proxy's own credentials go to the proxy: {head}"
    );
    assert!(
        !head.contains(TOKEN) && !head.contains("Y29uZm9ybWFuY2UtYWRtaW4tdG9rZW46"),
        "{head}"
    );
    for request in sim.state().requests() {
        assert!(
            !request
                .header_names
                .iter()
                .any(|h| h == "proxy-authorization"),
            "the device never sees proxy credentials: {request:?}"
        );
    }
    assert_eq!(
        sim.state().counters().tls_handshakes,
        1,
        "one tunnel, reused"
    );
}

#[tokio::test]
async fn bc22_a_proxy_that_refuses_the_tunnel_is_a_proxy_error() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let (proxy, mut heads) =
        connect_proxy("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            .await;
    let mut config = config(&sim, AuthMode::Basic);
    config.proxy = ProxySetting::Url(format!("http://{proxy}"));
    let client = client(config);
    for result in run_all(&client).await {
        let error = result.expect_err("no tunnel");
        assert_proxy_error(&error, &proxy.to_string());
        assert!(
            !error.outcome_unknown(),
            "nothing reached the device: {error:?}"
        );
        assert!(error.to_string().contains("tunnel"), "{error}");
    }
    assert!(heads.recv().await.is_some());
    assert_eq!(sim.state().counters().tcp_connections, 0);
}
