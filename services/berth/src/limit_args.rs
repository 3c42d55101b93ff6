//! `berth up --limit-ceiling` and `--limit-default`: the operator's bounds on the limits projects set
//! for themselves (memory, time, response size, warm instances, calls at once and waiting).

use anyhow::{Context, bail};
use berth_core::{LIMIT_FIELDS, LimitField, LimitPolicy, Limits};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// The most a project may set a limit to, as `<limit>=<value>`, repeated or comma-separated, e.g.
    /// `memoryMib=1024,timeoutMs=60000`. Limits: timeoutMs, memoryMib, maxResponseBytes,
    /// maxRequestsPerInstance, maxWarmInstances, maxConcurrentCalls, maxQueuedCalls, the egress
    /// limits and requestsPerSecond. Those not named
    /// keep Berth's ceilings (README, "Limits").
    #[arg(
        long = "limit-ceiling",
        env = "BERTH_LIMIT_CEILINGS",
        value_delimiter = ','
    )]
    pub ceilings: Vec<String>,
    /// The limits new projects start with, in the same form as `--limit-ceiling`; each within its
    /// ceiling.
    #[arg(
        long = "limit-default",
        env = "BERTH_LIMIT_DEFAULTS",
        value_delimiter = ','
    )]
    pub defaults: Vec<String>,
}

impl LimitArgs {
    /// The policy these flags describe; an error naming the flag's part that is wrong.
    pub fn policy(&self) -> anyhow::Result<LimitPolicy> {
        let base = LimitPolicy::default();
        let ceilings = apply(base.ceilings(), &self.ceilings, "--limit-ceiling")?;
        let defaults = apply(base.defaults(), &self.defaults, "--limit-default")?;
        LimitPolicy::new(defaults, ceilings).map_err(anyhow::Error::msg)
    }
}

/// The `<name>=<value>` settings of a comma-separated flag, trimmed, as (setting, name, value); an
/// error shows `form` (e.g. `<limit>=<value>, e.g. memoryMib=1024`) for one without `=`.
pub fn named_settings<'a>(
    settings: &'a [String],
    flag: &str,
    form: &str,
) -> anyhow::Result<Vec<(&'a str, &'a str, &'a str)>> {
    settings
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|setting| match setting.split_once('=') {
            Some((name, value)) => Ok((setting, name.trim(), value.trim())),
            None => bail!("{flag} {setting}: write it as {form}"),
        })
        .collect()
}

fn apply(base: &Limits, settings: &[String], flag: &str) -> anyhow::Result<Limits> {
    let mut limits = base.clone();
    for (setting, name, value) in
        named_settings(settings, flag, "<limit>=<value>, e.g. memoryMib=1024")?
    {
        let field: &LimitField = LimitField::named(name).with_context(|| {
            let names: Vec<&str> = LIMIT_FIELDS.iter().map(|f| f.name).collect();
            format!(
                "{flag} {setting}: `{name}` is not a limit; the limits are {}",
                names.join(", ")
            )
        })?;
        let value: u64 = value.parse().with_context(|| {
            format!(
                "{flag} {setting}: the value is a whole number of {}",
                field.unit
            )
        })?;
        field.set(&mut limits, value);
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(ceilings: &[&str], defaults: &[&str]) -> LimitArgs {
        LimitArgs {
            ceilings: ceilings.iter().map(|s| s.to_string()).collect(),
            defaults: defaults.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn flags_set_ceilings_and_defaults() {
        assert_eq!(args(&[], &[]).policy().unwrap(), LimitPolicy::default());
        let policy = args(&["memoryMib=512", " timeoutMs = 60000"], &["memoryMib=128"])
            .policy()
            .unwrap();
        assert_eq!(policy.ceilings().memory_mib, 512);
        assert_eq!(policy.ceilings().timeout_ms, 60_000);
        assert_eq!(policy.defaults().memory_mib, 128);
    }

    #[test]
    fn a_wrong_flag_is_an_error_that_says_why() {
        for (ceilings, defaults, says) in [
            (&["cpu=4"][..], &[][..], "`cpu` is not a limit"),
            (&["memoryMib"][..], &[][..], "<limit>=<value>"),
            (&["memoryMib=lots"][..], &[][..], "whole number of MiB"),
            // The default memory (256 MiB) above a lowered ceiling: lower the default too.
            (&["memoryMib=128"][..], &[][..], "memoryMib"),
            (&[][..], &["maxConcurrentCalls=0"][..], "maxConcurrentCalls"),
        ] {
            let err = args(ceilings, defaults).policy().unwrap_err().to_string();
            assert!(err.contains(says), "{ceilings:?} {defaults:?}: {err}");
        }
    }
}
