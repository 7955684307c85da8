//! The in-flight map against real jobs: a finished job is never joined, and its entry is gone
//! by the time it reads as finished. The device is a real client aimed at a closed port, so
//! every job fails fast.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::clock::ManualClock;
use crate::config::{Config, DeviceSettings};
use crate::devices::Devices;
use crate::metrics::Metrics;

fn request() -> ImportRequest {
    ImportRequest {
        external_url: "docker.io".into(),
        external_name: "library/alpine".into(),
        external_tag: "3.20".into(),
        internal_name: "alpine".into(),
        internal_tag: "3.20".into(),
    }
}

fn context() -> RequestContext {
    RequestContext {
        client_addr: "127.0.0.1".into(),
        request_id: "test".into(),
    }
}

fn setup() -> (Arc<JobRunner>, Arc<Device>) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let settings: DeviceSettings = toml::from_str(&format!(
        "id = \"edge-1\"\nurl = \"https://127.0.0.1:{closed}\"\ntls = \"insecure\"\ntoken = \"t\"\nproxy = \"none\"\n"
    ))
    .expect("device");
    let config = Config {
        devices: vec![settings],
        ..Config::default()
    };
    let devices = Devices::from_config(&config, Path::new("."), &Arc::new(Metrics::default()))
        .expect("devices");
    let db = Db::in_memory().expect("db");
    let runner = Arc::new(JobRunner::new(db, Arc::new(ManualClock::new(0))));
    (runner, devices.get("edge-1").expect("device"))
}

async fn until_finished(runner: &JobRunner, id: i64) -> Job {
    for _ in 0..500 {
        let job = runner.db.job(id).await.expect("db").expect("job");
        if !matches!(job.state, JobState::Queued | JobState::Running) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn an_entry_left_for_a_finished_job_is_not_joined_by_a_new_import() {
    let (runner, device) = setup();
    let finished = runner
        .db
        .create_job("edge-1".into(), request(), "operator".into(), 0)
        .await
        .expect("job");
    runner
        .db
        .update_job(
            finished.id,
            JobUpdate {
                finished_at_ms: Some(1),
                ..JobRunner::progress(JobState::Succeeded, None)
            },
        )
        .await
        .expect("update");
    let key = ("edge-1".to_owned(), request());
    let _left = runner
        .in_flight
        .register(&mut *runner.in_flight.lock().await, key, finished.id);

    let (job, deduplicated) = runner
        .start(device, request(), "operator", context())
        .await
        .expect("start");

    assert!(!deduplicated, "joined the finished job {}", finished.id);
    assert_ne!(job.id, finished.id);
    until_finished(&runner, job.id).await;
}

#[tokio::test]
async fn a_job_has_left_the_in_flight_map_by_the_time_it_reads_as_finished() {
    let (runner, device) = setup();
    let (job, _) = runner
        .start(device, request(), "operator", context())
        .await
        .expect("start");
    assert_eq!(runner.in_flight.lock().await.len(), 1);
    let job = until_finished(&runner, job.id).await;
    assert_eq!(job.state, JobState::Failed, "{job:?}");
    assert!(
        runner.in_flight.lock().await.is_empty(),
        "a repeat import now would get the finished job back"
    );
}
