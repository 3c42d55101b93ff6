//! Property tests of core's parsers of outside input: project slugs (from URLs, the REST API and
//! GitHub), the preview form, limits (from the REST API and the command line) and log levels (from
//! clients). Each property runs a bounded number of cases, so the whole file stays a few seconds long.

use berth_core::{LIMIT_FIELDS, LimitField, LimitPolicy, Limits, LogLevel, ProjectSlug, SlugError};
use berth_core::{ServerDescription, ids::MAX_SLUG_LEN};
use proptest::prelude::*;

/// Cases per property: enough to cover the generators' shapes, few enough for a debug build.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Valid slug shapes: a letter, then letters, digits and single hyphens, not ending in one.
fn slug_shaped() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9]|-[a-z0-9]){0,23}"
}

/// Strings near the slug grammar: its characters, the preview infix, and a few that are never allowed.
fn slug_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z0-9]{1,6}",
        Just("-".to_string()),
        Just("-pr-".to_string()),
        "[0-9]{1,25}",
        Just("--".to_string()),
        "[A-Z_./%: \\x00\u{e9}]",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

fn any_limits() -> impl Strategy<Value = Limits> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<usize>(),
        any::<bool>(),
        any::<usize>(),
        any::<usize>(),
        (
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
    )
        .prop_map(
            |(t, m, r, q, w, fresh, c, qu, (er, ei, eo, et, rps))| Limits {
                timeout_ms: t,
                memory_mib: m,
                max_response_bytes: r,
                max_requests_per_instance: q,
                max_warm_instances: w,
                fresh_instance_per_call: fresh,
                max_concurrent_calls: c,
                max_queued_calls: qu,
                egress_requests_per_call: er,
                egress_bytes_in_per_call: ei,
                egress_bytes_out_per_call: eo,
                egress_timeout_ms: et,
                requests_per_second: rps,
            },
        )
}

/// What `parse` promises of every slug it accepts, checked byte by byte.
fn assert_slug_grammar(s: &str) {
    let b = s.as_bytes();
    assert!(!s.is_empty() && s.len() <= MAX_SLUG_LEN, "{s:?}");
    assert!(b[0].is_ascii_lowercase(), "{s:?}");
    assert!(
        b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-'),
        "{s:?}"
    );
    assert!(!s.ends_with('-') && !s.contains("--"), "{s:?}");
}

proptest! {
    #![proptest_config(config())]

    /// Any string: `parse` does not panic, and what it accepts is exactly the grammar, unchanged, and
    /// the same as what deserializing a stored slug accepts.
    #[test]
    fn slug_parse_accepts_only_the_grammar(s in prop_oneof![any::<String>(), slug_like()]) {
        let parsed = ProjectSlug::parse(&s);
        if let Ok(slug) = &parsed {
            assert_slug_grammar(slug.as_str());
            prop_assert_eq!(slug.as_str(), s.as_str());
        }
        let from_json: Result<ProjectSlug, _> = serde_json::from_value(serde_json::Value::String(s.clone()));
        prop_assert_eq!(from_json.ok(), parsed.clone().ok());
        if let Err(e) = parsed {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// A name a new project may take is never of the preview form: no project can own a preview's URL.
    #[test]
    fn parse_new_never_accepts_a_preview_form(s in prop_oneof![slug_like(), slug_shaped()]) {
        match ProjectSlug::parse_new(&s) {
            Ok(slug) => {
                prop_assert_eq!(slug.preview_of(), None);
                prop_assert!(ProjectSlug::parse(&s).is_ok());
            }
            Err(SlugError::PreviewForm(name)) => {
                prop_assert_eq!(&name, &s);
                let slug = ProjectSlug::parse(&s).expect("a preview form is a valid slug");
                prop_assert!(slug.preview_of().is_some());
            }
            Err(_) => prop_assert!(ProjectSlug::parse(&s).is_err()),
        }
    }

    /// The preview of pull request `n` of any valid slug splits back into that slug and `n`, and no
    /// project could be created under its name.
    #[test]
    fn preview_splits_back_into_slug_and_number(s in slug_shaped(), n in any::<u64>()) {
        let Ok(slug) = ProjectSlug::parse(&s) else {
            return Ok(()); // a reserved word
        };
        let preview = slug.preview(n);
        prop_assert_eq!(preview.preview_of(), Some((slug.as_str(), n)));
        prop_assert!(ProjectSlug::parse_new(preview.as_str()).is_err());
        if preview.as_str().len() <= MAX_SLUG_LEN {
            prop_assert_eq!(ProjectSlug::parse(preview.as_str()), Ok(preview.clone()));
        }
    }

    /// Whatever `preview_of` splits off is a slug's own grammar (possibly a reserved word), and the
    /// number is the digits after the last `-pr-`.
    #[test]
    fn preview_of_splits_into_a_base_and_its_digits(s in slug_like()) {
        let Ok(slug) = ProjectSlug::parse(&s) else {
            return Ok(());
        };
        if let Some((base, n)) = slug.preview_of() {
            assert_slug_grammar(base);
            let digits = &s[base.len() + "-pr-".len()..];
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(digits.parse::<u64>().ok(), Some(n));
        }
    }

    /// Any limits: the policy's check does not panic, clamping always yields limits it accepts, and
    /// limits it accepts are left as they are.
    #[test]
    fn limit_policy_check_and_clamp_agree(l in any_limits()) {
        let policy = LimitPolicy::default();
        let clamped = policy.clamp(&l);
        prop_assert_eq!(policy.check(&clamped), Ok(()));
        match policy.check(&l) {
            Ok(()) => prop_assert_eq!(&clamped, &l),
            Err(msg) => prop_assert!(msg.contains("`limits."), "{}", msg),
        }
        let _ = (l.timeout(), l.memory_bytes());
    }

    /// Limits as the REST API reads them: arbitrary JSON objects of arbitrary numbers never panic, and
    /// whatever deserializes survives the policy.
    #[test]
    fn limits_from_json(fields in prop::collection::vec((prop_oneof![
        Just("timeoutMs".to_string()), Just("memoryMib".to_string()), Just("maxWarmInstances".to_string()),
        Just("maxConcurrentCalls".to_string()), Just("maxQueuedCalls".to_string()), "[a-zA-Z]{0,12}",
    ], prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()), any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")), Just("1e400".to_string()), Just("null".to_string()),
        Just("\"8\"".to_string()), "[0-9]{19,40}",
    ]), 0..6)) {
        let body = format!(
            "{{{}}}",
            fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
        );
        if let Ok(l) = serde_json::from_str::<Limits>(&body) {
            let _ = LimitPolicy::default().check(&l);
            prop_assert_eq!(LimitPolicy::default().check(&LimitPolicy::default().clamp(&l)), Ok(()));
        }
    }

    /// Field names and log levels from outside: known names only, round-tripping.
    #[test]
    fn names_and_levels(s in prop_oneof![any::<String>(), "[a-zA-Z]{0,16}"]) {
        if let Some(f) = LimitField::named(&s) {
            prop_assert_eq!(f.name, s.as_str());
            prop_assert!(LIMIT_FIELDS.iter().any(|g| g.name == f.name));
        }
        if let Some(level) = LogLevel::parse(&s) {
            prop_assert_eq!(level.as_str(), s.as_str());
        }
    }

    /// A guest's self-description (untrusted: the user's code produced it): any text is parsed or
    /// refused without a panic, and what is accepted has unique names.
    #[test]
    fn self_description_from_any_text(s in prop_oneof![
        any::<String>(),
        prop::collection::vec(prop_oneof![
            Just("{\"name\":\"s\",\"tools\":[".to_string()), Just("{\"name\":\"t\"}".to_string()),
            Just(",".to_string()), Just("]".to_string()), Just("}".to_string()), Just("[".to_string()),
            Just("{\"uri\":7}".to_string()),
        ], 0..12).prop_map(|p| p.concat()),
    ]) {
        if let Ok(d) = ServerDescription::from_guest_json(&s) {
            let mut names: Vec<String> = d.tools.iter().map(|t| t["name"].to_string()).collect();
            let n = names.len();
            names.sort();
            names.dedup();
            prop_assert_eq!(names.len(), n);
        }
    }
}

/// A slug nested ten thousand levels deep in JSON is refused by serde's recursion limit, not by a
/// stack overflow.
#[test]
fn deeply_nested_slug_json_is_refused() {
    let deep = format!("{}\"a\"{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(serde_json::from_str::<ProjectSlug>(&deep).is_err());
    assert!(serde_json::from_str::<Limits>(&deep).is_err());
    assert!(ServerDescription::from_guest_json(&deep).is_err());
}
