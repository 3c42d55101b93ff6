//! Property tests of what a webhook delivery can hold: the `X-Hub-Signature-256` header against any
//! body and secret (only the right signature passes, nothing panics), and the payloads of each event
//! name over any bytes and over real-shaped payloads with fields changed, removed or nested deep.

use berth_github::webhook::{Event, SignatureError, sign, verify};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Cases per property: each is a parse or an HMAC of a small body, microseconds in a debug build.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const EVENTS: [&str; 5] = ["push", "pull_request", "ping", "issues", ""];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn repository() -> Value {
    json!({ "id": 42, "full_name": "octo/tools", "private": false })
}

/// Payloads shaped as GitHub sends them, by event name.
fn real(event: &str) -> Value {
    match event {
        "push" => json!({
            "ref": "refs/heads/main", "after": "a".repeat(40), "deleted": false,
            "repository": repository(),
            "head_commit": { "id": "a".repeat(40), "message": "m", "author": { "name": "n", "email": "e" } },
            "sender": { "login": "octo" },
        }),
        "pull_request" => json!({
            "action": "opened", "number": 7, "repository": repository(),
            "pull_request": { "number": 7, "title": "t", "user": { "login": "octo" },
                "head": { "sha": "b".repeat(40), "ref": "feature", "repo": repository() } },
        }),
        _ => json!({ "zen": "Keep it logically awesome.", "hook_id": 1 }),
    }
}

/// Every path to a value in `v`, as keys and indexes.
fn paths(v: &Value, here: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            let mut p = here.clone();
            p.push(k.clone());
            paths(c, p, out)
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            let mut p = here.clone();
            p.push(i.to_string());
            paths(c, p, out)
        }),
        _ => {}
    }
}

/// Replaces (or, with `None`, removes) the value at `path`.
fn mutate(v: &mut Value, path: &[String], with: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        if let Some(w) = with {
            *v = w;
        }
        return;
    };
    let mut at = v;
    for p in parents {
        at = match at {
            Value::Object(m) => m.get_mut(p).expect("path"),
            Value::Array(a) => &mut a[p.parse::<usize>().expect("index")],
            _ => return,
        };
    }
    match (at, with) {
        (Value::Object(m), Some(w)) => {
            m.insert(last.clone(), w);
        }
        (Value::Object(m), None) => {
            m.remove(last);
        }
        (Value::Array(a), Some(w)) => a[last.parse::<usize>().expect("index")] = w,
        (Value::Array(a), None) => {
            a.remove(last.parse::<usize>().expect("index"));
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any header against any body and secret: no panic, and it passes only if it is the body's
    /// signature under that secret.
    #[test]
    fn only_the_right_signature_passes(
        secret in prop::collection::vec(any::<u8>(), 0..80),
        body in prop::collection::vec(any::<u8>(), 0..300),
        header in prop_oneof![
            Just(None),
            any::<String>().prop_map(Some),
            "sha256=[0-9a-fA-F]{0,70}".prop_map(Some),
        ],
    ) {
        let right = sign(&secret, &body);
        match verify(&secret, &body, header.as_deref()) {
            Ok(()) => {
                let given = header.as_deref().unwrap_or("").trim().to_ascii_lowercase();
                prop_assert_eq!(given, right.clone());
            }
            Err(SignatureError::Missing) => prop_assert!(header.is_none()),
            Err(_) => {}
        }
        prop_assert_eq!(verify(&secret, &body, Some(&right)), Ok(()));
    }

    /// The right signature with any one hex digit changed, or under another secret, or of another
    /// body, is a mismatch.
    #[test]
    fn a_changed_signature_secret_or_body_is_a_mismatch(
        secret in prop::collection::vec(any::<u8>(), 1..64),
        body in prop::collection::vec(any::<u8>(), 0..300),
        at in 0usize..64,
        flip in 1u8..16,
        other in prop::collection::vec(any::<u8>(), 1..64),
        extra in any::<u8>(),
    ) {
        let right = sign(&secret, &body);
        let mut digits: Vec<u8> = right["sha256=".len()..].bytes().collect();
        let d = u8::from_str_radix(std::str::from_utf8(&digits[at..=at]).expect("hex"), 16).expect("hex");
        digits[at] = format!("{:x}", d ^ flip).as_bytes()[0];
        let changed = format!("sha256={}", String::from_utf8(digits).expect("hex"));
        prop_assert_eq!(verify(&secret, &body, Some(&changed)), Err(SignatureError::Mismatch));
        if other != secret {
            prop_assert_eq!(verify(&other, &body, Some(&right)), Err(SignatureError::Mismatch));
        }
        let mut longer = body.clone();
        longer.push(extra);
        prop_assert_eq!(verify(&secret, &longer, Some(&right)), Err(SignatureError::Mismatch));
    }

    /// Any bytes under any event name: parsed or refused, never a panic.
    #[test]
    fn any_bytes_under_any_event(event in prop::sample::select(EVENTS.to_vec()), body in prop_oneof![
        any::<Vec<u8>>(),
        any_json().prop_map(|v| v.to_string().into_bytes()),
    ]) {
        let parsed = Event::parse(event, &body);
        if let Ok(Event::Other(name)) = parsed {
            prop_assert_eq!(name, event);
        }
    }

    /// A real-shaped payload with one value replaced by any JSON, or removed: parsed or refused, never
    /// a panic; unchanged, it parses as its event.
    #[test]
    fn mutated_real_payloads(
        event in prop::sample::select(EVENTS[..3].to_vec()),
        pick in any::<prop::sample::Index>(),
        with in prop::option::of(any_json()),
    ) {
        let mut payload = real(event);
        let expected_kind = std::mem::discriminant(
            &Event::parse(event, payload.to_string().as_bytes()).expect("a real payload parses"),
        );
        let mut all = Vec::new();
        paths(&payload, Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        mutate(&mut payload, &path, with);
        if let Ok(e) = Event::parse(event, payload.to_string().as_bytes()) {
            prop_assert_eq!(std::mem::discriminant(&e), expected_kind);
        }
    }
}

/// A payload nested ten thousand levels deep is no stack overflow under any event name that is
/// parsed: in a field Berth reads it is refused (serde's recursion limit); in one it ignores it is
/// skipped.
#[test]
fn deep_payloads_are_refused_or_skipped() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for event in ["push", "pull_request", "ping"] {
        let mut ignored = real(event).to_string();
        ignored.insert_str(ignored.len() - 1, &format!(",\"x\":{deep}"));
        assert!(Event::parse(event, ignored.as_bytes()).is_ok(), "{event}");
        let read = real(event).to_string().replacen(
            "{",
            &format!("{{\"repository\":{deep},\"zen\":{deep},"),
            1,
        );
        assert!(Event::parse(event, read.as_bytes()).is_err(), "{event}");
    }
}
