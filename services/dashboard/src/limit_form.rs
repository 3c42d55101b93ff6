//! The settings form's limits: one input per limit a project may set, showing the operator's bounds
//! (the input's `min` and `max`, and its help text), and read back into limits within those bounds.
//! The API checks the same bounds again ([`LimitPolicy::check`]).

use berth_core::{LimitField, LimitPolicy, Limits};
use std::collections::HashMap;

/// One limit as the form shows it: in a unit a person reads (seconds, MiB, KiB), not the API's.
struct Spec {
    /// The form field's name.
    id: &'static str,
    /// The limit in the API.
    field: &'static str,
    label: &'static str,
    unit: &'static str,
    /// API units per form unit.
    scale: u64,
    /// Whether the form takes fractions (seconds to a tenth).
    fractional: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        id: "timeout_s",
        field: "timeoutMs",
        label: "Time limit per call",
        unit: "seconds",
        scale: 1000,
        fractional: true,
    },
    Spec {
        id: "memory_mib",
        field: "memoryMib",
        label: "Memory per instance",
        unit: "MiB",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "response_kib",
        field: "maxResponseBytes",
        label: "Largest response",
        unit: "KiB",
        scale: 1024,
        fractional: false,
    },
    Spec {
        id: "concurrent_calls",
        field: "maxConcurrentCalls",
        label: "Calls running at once",
        unit: "calls",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "queued_calls",
        field: "maxQueuedCalls",
        label: "Calls waiting to run",
        unit: "calls",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "warm_instances",
        field: "maxWarmInstances",
        label: "Warm instances kept",
        unit: "instances",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "requests_per_instance",
        field: "maxRequestsPerInstance",
        label: "Calls an instance serves before it is replaced",
        unit: "calls",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "egress_requests",
        field: "egressRequestsPerCall",
        label: "Outbound HTTP requests per call",
        unit: "requests",
        scale: 1,
        fractional: false,
    },
    Spec {
        id: "egress_in_kib",
        field: "egressBytesInPerCall",
        label: "Outbound response bytes per call",
        unit: "KiB",
        scale: 1024,
        fractional: false,
    },
    Spec {
        id: "egress_out_kib",
        field: "egressBytesOutPerCall",
        label: "Outbound request bytes per call",
        unit: "KiB",
        scale: 1024,
        fractional: false,
    },
    Spec {
        id: "egress_timeout_s",
        field: "egressTimeoutMs",
        label: "Time limit per outbound request",
        unit: "seconds",
        scale: 1000,
        fractional: true,
    },
    Spec {
        id: "requests_per_s",
        field: "requestsPerSecond",
        label: "MCP requests per second",
        unit: "requests",
        scale: 1,
        fractional: false,
    },
];

/// What the template renders for one limit.
pub struct LimitInput {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub value: String,
    pub min: String,
    pub max: String,
    pub step: &'static str,
}

impl Spec {
    fn field(&self) -> &'static LimitField {
        LimitField::named(self.field).expect("every form limit is a limit")
    }

    fn show(&self, api_value: u64) -> String {
        if self.fractional {
            format!("{}", api_value as f64 / self.scale as f64)
        } else {
            (api_value / self.scale).to_string()
        }
    }

    /// The bounds in form units: the least form value at or above the floor, the most at or under the
    /// ceiling.
    fn bounds(&self, policy: &LimitPolicy) -> (String, String) {
        let (min, max) = policy.bounds(self.field());
        if self.fractional {
            (self.show(min), self.show(max))
        } else {
            (min.div_ceil(self.scale).to_string(), self.show(max))
        }
    }

    /// The API value of what was typed, if it is a number within the policy's bounds.
    fn parse(&self, text: &str, policy: &LimitPolicy) -> Option<u64> {
        let text = text.trim();
        let value = if self.fractional {
            let v = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)?;
            let scaled = (v * self.scale as f64).round();
            (scaled <= u64::MAX as f64).then_some(scaled as u64)?
        } else {
            text.parse::<u64>().ok()?.checked_mul(self.scale)?
        };
        let (min, max) = policy.bounds(self.field());
        (min..=max).contains(&value).then_some(value)
    }
}

/// The form's values for these limits.
pub fn form_values(limits: &Limits) -> HashMap<String, String> {
    SPECS
        .iter()
        .map(|s| (s.id.to_string(), s.show(s.field().get(limits))))
        .collect()
}

/// The inputs to render: the submitted (or current) values, with the policy's bounds.
pub fn inputs(values: &HashMap<String, String>, policy: &LimitPolicy) -> Vec<LimitInput> {
    SPECS
        .iter()
        .map(|s| {
            let (min, max) = s.bounds(policy);
            LimitInput {
                id: s.id,
                label: s.label,
                unit: s.unit,
                value: values.get(s.id).cloned().unwrap_or_default(),
                min,
                max,
                step: if s.fractional { "0.1" } else { "1" },
            }
        })
        .collect()
}

/// `current` with the submitted limits; a limit not submitted keeps its value. Errors name the form
/// field and say the bounds.
pub fn parse(
    values: &HashMap<String, String>,
    current: &Limits,
    policy: &LimitPolicy,
) -> Result<Limits, Vec<(&'static str, String)>> {
    let mut limits = current.clone();
    let mut errors = Vec::new();
    for s in SPECS {
        let Some(text) = values.get(s.id) else {
            continue;
        };
        match s.parse(text, policy) {
            Some(v) => s.field().set(&mut limits, v),
            None => {
                let (min, max) = s.bounds(policy);
                errors.push((
                    s.id,
                    format!(
                        "Give the {} in {}, from {min} to {max} (this Berth's ceiling).",
                        s.label.to_lowercase(),
                        s.unit
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(limits)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_shows_and_enforces_the_policy_bounds() {
        let mut ceilings = LimitPolicy::default().ceilings().clone();
        ceilings.memory_mib = 512;
        ceilings.timeout_ms = 60_000;
        let defaults = Limits {
            memory_mib: 128,
            ..Limits::default()
        };
        let policy = LimitPolicy::new(defaults.clone(), ceilings).unwrap();
        let values = form_values(&defaults);
        let shown = inputs(&values, &policy);
        let memory = shown.iter().find(|i| i.id == "memory_mib").unwrap();
        assert_eq!((memory.min.as_str(), memory.max.as_str()), ("16", "512"));
        let timeout = shown.iter().find(|i| i.id == "timeout_s").unwrap();
        assert_eq!((timeout.min.as_str(), timeout.max.as_str()), ("0.1", "60"));
        assert_eq!(timeout.value, "30");
        assert_eq!(shown.len(), berth_core::LIMIT_FIELDS.len());
        // The current values pass as they are.
        assert_eq!(parse(&values, &defaults, &policy), Ok(defaults.clone()));

        let mut over = values.clone();
        over.insert("memory_mib".into(), "1024".into());
        over.insert("response_kib".into(), "1".into());
        let errors = parse(&over, &defaults, &policy).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, "memory_mib");
        assert!(errors[0].1.contains("from 16 to 512"), "{}", errors[0].1);

        let mut fine = HashMap::new();
        fine.insert("timeout_s".to_string(), "2.5".to_string());
        fine.insert("response_kib".to_string(), "64".to_string());
        let limits = parse(&fine, &defaults, &policy).unwrap();
        assert_eq!(
            (limits.timeout_ms, limits.max_response_bytes),
            (2500, 65536)
        );
        assert_eq!(
            limits.memory_mib, 128,
            "what was not submitted keeps its value"
        );
    }
}
