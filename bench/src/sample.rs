//! Interleaved sampling: panel and reference alternate (A B, B A, A B, …) so that drift in the
//! machine's speed hits both alike.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Runs `future` and returns how long it took.
pub async fn timed<T, E: Into<Error>>(
    future: impl Future<Output = std::result::Result<T, E>>,
) -> Result<(Duration, T)> {
    let started = Instant::now();
    let value = future.await.map_err(Into::into)?;
    Ok((started.elapsed(), value))
}

/// `warmup + n` rounds of one `a` and one `b` sample each, the order alternating per round.
/// Each closure returns the duration of its own timed part (setup stays outside it).
pub async fn interleaved(
    n: usize,
    warmup: usize,
    mut a: impl AsyncFnMut(usize) -> Result<Duration>,
    mut b: impl AsyncFnMut(usize) -> Result<Duration>,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for round in 0..warmup + n {
        let (x, y) = if round % 2 == 0 {
            let x = a(round).await?;
            (x, b(round).await?)
        } else {
            let y = b(round).await?;
            (a(round).await?, y)
        };
        if round >= warmup {
            xs.push(x);
            ys.push(y);
        }
    }
    Ok((xs, ys))
}
