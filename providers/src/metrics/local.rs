//! This host's CPU and memory, read from `/proc`: what the cluster is when Toygres runs its
//! instances locally and no metrics source is configured.

use std::time::Duration;

use anyhow::{Context as _, anyhow};

use crate::{Error, Result};

/// How far apart the two CPU readings of a first sample are.
const FIRST_READING_GAP: Duration = Duration::from_millis(200);

/// One reading of this host.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalSample {
    /// Busy CPU, 0 to 100, averaged over all cores since the previous reading.
    pub cpu_percent: f64,
    /// Memory in use (total minus available), 0 to 100.
    pub memory_percent: f64,
}

/// Reads CPU use as the change between two readings of `/proc/stat`.
#[derive(Debug, Default)]
pub struct LocalSampler {
    previous: Option<CpuTimes>,
}

#[derive(Clone, Copy, Debug)]
struct CpuTimes {
    busy: u64,
    total: u64,
}

impl LocalSampler {
    /// A sampler with no previous reading.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read the host. The first call has no interval to average over, so it reads CPU twice,
    /// a short moment apart.
    pub async fn sample(&mut self) -> Result<LocalSample> {
        let before = match self.previous {
            Some(previous) => previous,
            None => {
                let first = read_cpu()?;
                tokio::time::sleep(FIRST_READING_GAP).await;
                first
            }
        };
        let now = read_cpu()?;
        self.previous = Some(now);
        let meminfo = std::fs::read_to_string("/proc/meminfo").map_err(io)?;
        Ok(LocalSample {
            cpu_percent: cpu_percent(before, now),
            memory_percent: memory_percent(&meminfo)?,
        })
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Transient(anyhow::Error::from(e).context("read /proc"))
}

fn read_cpu() -> Result<CpuTimes> {
    parse_cpu(&std::fs::read_to_string("/proc/stat").map_err(io)?)
}

/// The aggregate `cpu` line: user nice system idle iowait irq softirq steal ….
fn parse_cpu(stat: &str) -> Result<CpuTimes> {
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .ok_or_else(|| Error::Permanent(anyhow!("/proc/stat has no cpu line")))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("parse /proc/stat")
        .map_err(Error::Permanent)?;
    // guest and guest_nice are already counted in user and nice.
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Ok(CpuTimes {
        busy: total.saturating_sub(idle),
        total,
    })
}

fn cpu_percent(before: CpuTimes, after: CpuTimes) -> f64 {
    let total = after.total.saturating_sub(before.total);
    if total == 0 {
        return 0.0;
    }
    (after.busy.saturating_sub(before.busy) as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
}

fn memory_percent(meminfo: &str) -> Result<f64> {
    let field = |name: &str| -> Result<f64> {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .ok_or_else(|| Error::Permanent(anyhow!("/proc/meminfo has no {name}")))
    };
    let total = field("MemTotal:")?;
    let available = field("MemAvailable:")?;
    if total <= 0.0 {
        return Err(Error::Permanent(anyhow!("/proc/meminfo reports no memory")));
    }
    Ok(((1.0 - available / total) * 100.0).clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_use_is_the_busy_share_of_the_time_between_readings() {
        let before = parse_cpu("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n").unwrap();
        let after = parse_cpu("cpu  200 0 200 1300 200 0 0 0 0 0\n").unwrap();
        // 200 busy ticks out of 900.
        assert!((cpu_percent(before, after) - 200.0 / 900.0 * 100.0).abs() < 1e-9);
    }

    #[test]
    fn memory_use_counts_available_memory_as_free() {
        let meminfo =
            "MemTotal:       1000 kB\nMemFree:          100 kB\nMemAvailable:     250 kB\n";
        assert!((memory_percent(meminfo).unwrap() - 75.0).abs() < 1e-9);
        assert!(memory_percent("MemTotal: 1000 kB\n").is_err());
    }

    /// This host reads as percentages. The first sample's gap between its two CPU readings is
    /// a timer alone (`/proc` is read at once), so the clock is paused and the test sees the
    /// gap exactly; later samples average since the previous one and do not wait.
    #[tokio::test(start_paused = true)]
    async fn this_host_reads_as_percentages_waiting_only_for_the_first_sample() {
        let mut sampler = LocalSampler::new();
        for wait in [FIRST_READING_GAP, Duration::ZERO] {
            let start = tokio::time::Instant::now();
            let s = sampler.sample().await.unwrap();
            assert_eq!(start.elapsed(), wait);
            assert!((0.0..=100.0).contains(&s.cpu_percent), "{s:?}");
            assert!(s.memory_percent > 0.0 && s.memory_percent < 100.0, "{s:?}");
        }
    }
}
