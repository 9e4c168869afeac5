//! The built-in plan and region table, used to validate requests when the provider's own
//! listing (`GET /server_types`, `GET /v2/sizes`) has not been fetched.
//!
//! Prices are monthly list prices (Hetzner in EUR excluding VAT, DigitalOcean in USD) as
//! published when this table was written (2025); `None` where we do not know them. Refresh
//! the table from the provider (`refreshPlans`) for current figures.

use super::{CloudKind, Plan};

/// `(name, cores, memory GB, disk GB, monthly price, architecture, deprecated)`.
type Row = (&'static str, u32, f64, u32, Option<f64>, &'static str, bool);

const HETZNER: &[Row] = &[
    // The legacy CX line.
    ("cx11", 1, 2.0, 20, None, "x86", true),
    ("cx21", 2, 4.0, 40, None, "x86", true),
    ("cx31", 2, 8.0, 80, None, "x86", true),
    ("cx41", 4, 16.0, 160, None, "x86", true),
    // Shared Intel (2024).
    ("cx22", 2, 4.0, 40, Some(3.79), "x86", false),
    ("cx32", 4, 8.0, 80, Some(6.80), "x86", false),
    ("cx42", 8, 16.0, 160, Some(16.40), "x86", false),
    ("cx52", 16, 32.0, 320, Some(32.40), "x86", false),
    // Shared x86, cost-optimised (2025).
    ("cx23", 2, 4.0, 40, None, "x86", false),
    ("cx33", 4, 8.0, 80, None, "x86", false),
    ("cx43", 8, 16.0, 160, None, "x86", false),
    ("cx53", 16, 32.0, 320, None, "x86", false),
    // Shared AMD.
    ("cpx11", 2, 2.0, 40, Some(4.35), "x86", false),
    ("cpx21", 3, 4.0, 80, Some(7.55), "x86", false),
    ("cpx31", 4, 8.0, 160, Some(13.60), "x86", false),
    ("cpx41", 8, 16.0, 240, Some(25.20), "x86", false),
    ("cpx51", 16, 32.0, 360, Some(54.90), "x86", false),
    // Shared Ampere (arm64).
    ("cax11", 2, 4.0, 40, Some(3.79), "arm", false),
    ("cax21", 4, 8.0, 80, Some(6.49), "arm", false),
    ("cax31", 8, 16.0, 160, Some(12.49), "arm", false),
    ("cax41", 16, 32.0, 320, Some(24.49), "arm", false),
];

const DIGITALOCEAN: &[Row] = &[
    ("s-1vcpu-512mb-10gb", 1, 0.5, 10, Some(4.0), "x86", false),
    ("s-1vcpu-1gb", 1, 1.0, 25, Some(6.0), "x86", false),
    ("s-1vcpu-2gb", 1, 2.0, 50, Some(12.0), "x86", false),
    ("s-2vcpu-2gb", 2, 2.0, 60, Some(18.0), "x86", false),
    ("s-2vcpu-4gb", 2, 4.0, 80, Some(24.0), "x86", false),
    ("s-4vcpu-8gb", 4, 8.0, 160, Some(48.0), "x86", false),
    ("s-8vcpu-16gb", 8, 16.0, 320, Some(96.0), "x86", false),
    ("c-2", 2, 4.0, 25, Some(42.0), "x86", false),
    ("g-2vcpu-8gb", 2, 8.0, 25, Some(63.0), "x86", false),
    ("m-2vcpu-16gb", 2, 16.0, 50, Some(84.0), "x86", false),
];

const HETZNER_REGIONS: &[&str] = &["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];
const DIGITALOCEAN_REGIONS: &[&str] = &[
    "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1",
    "syd1", "atl1",
];

/// The built-in plans of `kind`.
pub fn builtin_plans(kind: CloudKind) -> Vec<Plan> {
    let (rows, currency) = match kind {
        CloudKind::Hetzner => (HETZNER, "EUR"),
        CloudKind::DigitalOcean => (DIGITALOCEAN, "USD"),
    };
    rows.iter()
        .map(
            |&(name, cores, memory_gb, disk_gb, price, architecture, deprecated)| Plan {
                name: name.to_owned(),
                cores,
                memory_gb,
                disk_gb,
                monthly_price: price,
                currency,
                architecture,
                regions: Vec::new(),
                deprecated,
            },
        )
        .collect()
}

/// The regions of `kind` (Hetzner locations, DigitalOcean region slugs).
pub fn builtin_regions(kind: CloudKind) -> &'static [&'static str] {
    match kind {
        CloudKind::Hetzner => HETZNER_REGIONS,
        CloudKind::DigitalOcean => DIGITALOCEAN_REGIONS,
    }
}

/// The plan called `name` (case-insensitive: `CX11` is `cx11`).
pub fn find_plan<'a>(plans: &'a [Plan], name: &str) -> Option<&'a Plan> {
    plans.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The image new servers boot: Debian 12.
pub fn default_image(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => "debian-12",
        CloudKind::DigitalOcean => "debian-12-x64",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_cx_line_has_the_documented_memory() {
        let plans = builtin_plans(CloudKind::Hetzner);
        for (name, gb) in [("CX11", 2.0), ("CX21", 4.0), ("CX31", 8.0), ("CX41", 16.0)] {
            let plan = find_plan(&plans, name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(
                (plan.memory_gb - gb).abs() < f64::EPSILON,
                "{name}: {}",
                plan.memory_gb
            );
        }
    }

    #[test]
    fn every_plan_has_sizes_and_a_unique_name() {
        for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
            let plans = builtin_plans(kind);
            let mut names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), plans.len(), "{kind:?} has duplicate names");
            for p in &plans {
                assert!(p.cores > 0 && p.memory_gb > 0.0 && p.disk_gb > 0, "{p:?}");
            }
            assert!(!builtin_regions(kind).is_empty());
        }
    }

    #[test]
    fn current_cx_cpx_and_cax_types_and_digitalocean_slugs_are_known() {
        let hetzner = builtin_plans(CloudKind::Hetzner);
        for name in ["cx22", "cx32", "cpx11", "cpx51", "cax11", "cax41"] {
            assert!(find_plan(&hetzner, name).is_some(), "{name}");
        }
        assert_eq!(
            find_plan(&hetzner, "cax21").map(|p| p.architecture),
            Some("arm")
        );
        let digitalocean = builtin_plans(CloudKind::DigitalOcean);
        assert!(find_plan(&digitalocean, "s-2vcpu-4gb").is_some());
        assert!(find_plan(&digitalocean, "cx22").is_none());
    }
}
