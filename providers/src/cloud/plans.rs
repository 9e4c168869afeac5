//! The plans and regions we know without asking: what a create is checked against until a
//! provider's own listing ([`super::Cloud::plans`]) has been read, and when it cannot be.
//!
//! Sizes are the providers' published figures. Prices change and differ by location, so the
//! table carries only those we are sure of (DigitalOcean's list prices in USD, unchanged
//! since their July 2022 repricing, as published on digitalocean.com/pricing/droplets in
//! 2024). Hetzner's are `None`: its listing gives current gross prices per location, and a
//! refresh fills them in.

use super::{CloudKind, Plan};

/// `(name, cores, memory GB, disk GB, monthly price, architecture, regions, deprecated)`;
/// an empty region list means any region.
type Row = (
    &'static str,
    u32,
    f64,
    u32,
    Option<f64>,
    &'static str,
    &'static [&'static str],
    bool,
);

/// Hetzner locations: Falkenstein, Nuremberg, Helsinki, Ashburn, Hillsboro, Singapore.
const HETZNER_REGIONS: &[&str] = &["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];

/// Where Hetzner sells its Intel (CX) and Arm (CAX) shared types: the EU locations only.
const HETZNER_EU: &[&str] = &["fsn1", "nbg1", "hel1"];

/// DigitalOcean regions that take new Droplets.
const DIGITALOCEAN_REGIONS: &[&str] = &[
    "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1",
    "syd1", "atl1",
];

/// Any region (the list is empty).
const ANY: &[&str] = &[];

/// Hetzner server types (names as the API spells them: lower case).
const HETZNER: &[Row] = &[
    // The first CX line (Intel), deprecated in 2024 and no longer orderable.
    ("cx11", 1, 2.0, 20, None, "x86", HETZNER_EU, true),
    ("cx21", 2, 4.0, 40, None, "x86", HETZNER_EU, true),
    ("cx31", 2, 8.0, 80, None, "x86", HETZNER_EU, true),
    ("cx41", 4, 16.0, 160, None, "x86", HETZNER_EU, true),
    ("cx51", 8, 32.0, 240, None, "x86", HETZNER_EU, true),
    // CX, 2024 (Intel, shared vCPU).
    ("cx22", 2, 4.0, 40, None, "x86", HETZNER_EU, false),
    ("cx32", 4, 8.0, 80, None, "x86", HETZNER_EU, false),
    ("cx42", 8, 16.0, 160, None, "x86", HETZNER_EU, false),
    ("cx52", 16, 32.0, 320, None, "x86", HETZNER_EU, false),
    // CX, 2025 (cost-optimised, shared vCPU).
    ("cx23", 2, 4.0, 40, None, "x86", HETZNER_EU, false),
    ("cx33", 4, 8.0, 80, None, "x86", HETZNER_EU, false),
    ("cx43", 8, 16.0, 160, None, "x86", HETZNER_EU, false),
    ("cx53", 16, 32.0, 320, None, "x86", HETZNER_EU, false),
    // CPX (AMD, shared vCPU), in every location.
    ("cpx11", 2, 2.0, 40, None, "x86", HETZNER_REGIONS, false),
    ("cpx21", 3, 4.0, 80, None, "x86", HETZNER_REGIONS, false),
    ("cpx31", 4, 8.0, 160, None, "x86", HETZNER_REGIONS, false),
    ("cpx41", 8, 16.0, 240, None, "x86", HETZNER_REGIONS, false),
    ("cpx51", 16, 32.0, 360, None, "x86", HETZNER_REGIONS, false),
    // CAX (Ampere Arm, shared vCPU).
    ("cax11", 2, 4.0, 40, None, "arm", HETZNER_EU, false),
    ("cax21", 4, 8.0, 80, None, "arm", HETZNER_EU, false),
    ("cax31", 8, 16.0, 160, None, "arm", HETZNER_EU, false),
    ("cax41", 16, 32.0, 320, None, "arm", HETZNER_EU, false),
];

/// DigitalOcean Droplet sizes; prices in USD a month.
#[rustfmt::skip]
const DIGITALOCEAN: &[Row] = &[
    // Basic (shared vCPU, regular SSD).
    ("s-1vcpu-512mb-10gb", 1, 0.5, 10, Some(4.0), "x86", ANY, false),
    ("s-1vcpu-1gb", 1, 1.0, 25, Some(6.0), "x86", ANY, false),
    ("s-1vcpu-2gb", 1, 2.0, 50, Some(12.0), "x86", ANY, false),
    ("s-2vcpu-2gb", 2, 2.0, 60, Some(18.0), "x86", ANY, false),
    ("s-2vcpu-4gb", 2, 4.0, 80, Some(24.0), "x86", ANY, false),
    ("s-4vcpu-8gb", 4, 8.0, 160, Some(48.0), "x86", ANY, false),
    ("s-8vcpu-16gb", 8, 16.0, 320, Some(96.0), "x86", ANY, false),
    // General purpose, CPU-optimised and memory-optimised (dedicated vCPU).
    ("g-2vcpu-8gb", 2, 8.0, 25, Some(63.0), "x86", ANY, false),
    ("c-2", 2, 4.0, 25, Some(42.0), "x86", ANY, false),
    ("m-2vcpu-16gb", 2, 16.0, 50, Some(84.0), "x86", ANY, false),
];

/// The plans we know of a cloud.
pub fn builtin_plans(kind: CloudKind) -> Vec<Plan> {
    let (rows, currency) = match kind {
        CloudKind::Hetzner => (HETZNER, "EUR"),
        CloudKind::DigitalOcean => (DIGITALOCEAN, "USD"),
    };
    rows.iter()
        .map(
            |&(
                name,
                cores,
                memory_gb,
                disk_gb,
                monthly_price,
                architecture,
                regions,
                deprecated,
            )| {
                Plan {
                    name: name.to_owned(),
                    cores,
                    memory_gb,
                    disk_gb,
                    monthly_price,
                    currency,
                    architecture,
                    regions: regions.iter().map(|&r| r.to_owned()).collect(),
                    deprecated,
                }
            },
        )
        .collect()
}

/// The regions we know of a cloud (Hetzner locations, DigitalOcean region slugs).
pub fn builtin_regions(kind: CloudKind) -> &'static [&'static str] {
    match kind {
        CloudKind::Hetzner => HETZNER_REGIONS,
        CloudKind::DigitalOcean => DIGITALOCEAN_REGIONS,
    }
}

/// The plan called `name`, ignoring case (`CX22` finds `cx22`).
pub fn find_plan<'a>(plans: &'a [Plan], name: &str) -> Option<&'a Plan> {
    plans.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The image new VMs boot: Debian 12, by the name each cloud gives it.
pub fn default_image(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => "debian-12",
        CloudKind::DigitalOcean => "debian-12-x64",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const KINDS: [CloudKind; 2] = [CloudKind::Hetzner, CloudKind::DigitalOcean];

    #[test]
    fn the_first_cx_line_has_its_published_memory_and_is_deprecated() {
        let plans = builtin_plans(CloudKind::Hetzner);
        for (name, memory_gb, cores, disk_gb) in [
            ("cx11", 2.0, 1, 20),
            ("cx21", 4.0, 2, 40),
            ("cx31", 8.0, 2, 80),
            ("cx41", 16.0, 4, 160),
        ] {
            let plan = find_plan(&plans, name).expect(name);
            assert_eq!(
                (plan.memory_gb, plan.cores, plan.disk_gb),
                (memory_gb, cores, disk_gb),
                "{name}"
            );
            assert!(plan.deprecated, "{name}");
        }
    }

    #[test]
    fn every_plan_has_cores_memory_and_disk() {
        for kind in KINDS {
            let plans = builtin_plans(kind);
            assert!(!plans.is_empty());
            for p in &plans {
                assert!(p.cores > 0 && p.memory_gb > 0.0 && p.disk_gb > 0, "{p:?}");
                assert!(p.monthly_price.is_none_or(|price| price > 0.0), "{p:?}");
                assert!(["x86", "arm"].contains(&p.architecture), "{p:?}");
                for r in &p.regions {
                    assert!(builtin_regions(kind).contains(&r.as_str()), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn plan_and_region_names_are_unique_and_lower_case() {
        for kind in KINDS {
            let plans = builtin_plans(kind);
            let names: HashSet<&str> = plans.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names.len(), plans.len(), "{kind:?} has a duplicate plan");
            assert!(names.iter().all(|n| *n == n.to_lowercase()));
            let regions: HashSet<&&str> = builtin_regions(kind).iter().collect();
            assert_eq!(regions.len(), builtin_regions(kind).len());
        }
    }

    #[test]
    fn plans_are_found_whatever_the_case() {
        let plans = builtin_plans(CloudKind::Hetzner);
        assert_eq!(find_plan(&plans, "CX22").map(|p| p.cores), Some(2));
        assert_eq!(
            find_plan(&plans, "cAx11").map(|p| p.architecture),
            Some("arm")
        );
        assert!(find_plan(&plans, "cx99").is_none());
        let plans = builtin_plans(CloudKind::DigitalOcean);
        assert_eq!(
            find_plan(&plans, "S-1VCPU-1GB").map(|p| p.memory_gb),
            Some(1.0)
        );
    }

    #[test]
    fn the_default_images_are_debian_12() {
        assert_eq!(default_image(CloudKind::Hetzner), "debian-12");
        assert_eq!(default_image(CloudKind::DigitalOcean), "debian-12-x64");
    }
}
