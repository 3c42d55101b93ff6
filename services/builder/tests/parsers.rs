//! Property tests of the builder's parsers of a repository's text: `requirements.txt`, the
//! `[project] dependencies` of `pyproject.toml`, and entry points. Whatever a repository holds, the
//! parsers answer without a panic; well-formed PEP 508 requirements are accepted and reach pip in a
//! form that means the same; pip options, URLs and control characters never reach pip.

use berth_builder::{EntryPoint, Requirement, parse_pyproject, parse_requirements_txt};
use proptest::prelude::*;

/// Cases per property: enough to cover the generators' shapes, few enough for a debug build.
const CASES: u32 = 384;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?"
}

fn version() -> impl Strategy<Value = String> {
    "[0-9]{1,4}(\\.[0-9]{1,3}){0,3}"
}

fn specifier() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop_oneof![
                Just("=="),
                Just("!="),
                Just(">="),
                Just("<="),
                Just(">"),
                Just("<")
            ],
            version()
        )
            .prop_map(|(op, v)| format!("{op}{v}")),
        ("[0-9]{1,3}\\.[0-9]{1,3}", prop::bool::ANY).prop_map(|(v, star)| if star {
            format!("=={v}.*")
        } else {
            format!("~={v}")
        }),
    ]
}

/// A marker value: printable text without quotes (PEP 508 strings cannot escape them) and without
/// what pip's requirements-file syntax reads specially (` #`, ` -`, `${`).
fn marker_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_.]{1,10}",
        "[ !%&(-,./:;<=>?@A-Z\\[\\]^_`a-z{|}~]{0,16}[a-z]",
    ]
}

/// What pip's requirements-file syntax reads specially, inside a marker's quoted value.
fn pip_syntax() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " #",
        "\t#",
        " -",
        " --index-url=http://evil",
        "${HOME}",
    ])
    .prop_map(str::to_string)
}

fn marker() -> impl Strategy<Value = String> {
    let one = prop_oneof![
        (
            prop_oneof![Just("python_version"), Just("python_full_version")],
            prop_oneof![Just(">="), Just("<"), Just("=="), Just("!=")],
            version()
        )
            .prop_map(|(k, op, v)| format!("{k} {op} '{v}'")),
        (
            prop_oneof![
                Just("sys_platform"),
                Just("os_name"),
                Just("platform_machine"),
                Just("implementation_name"),
                Just("platform_release"),
            ],
            prop_oneof![Just("=="), Just("!=")],
            marker_value()
        )
            .prop_map(|(k, op, v)| format!("{k} {op} \"{v}\"")),
    ];
    prop::collection::vec(one, 1..3).prop_map(|m| m.join(" and "))
}

/// A PEP 508 requirement as people write it: name, extras, version specifiers and a marker, with
/// varying spaces.
fn pep508() -> impl Strategy<Value = String> {
    (
        name(),
        prop::collection::vec("[a-z][a-z0-9]{0,6}", 0..3),
        prop::collection::vec(specifier(), 0..3),
        prop::option::of(marker()),
        prop_oneof![Just(""), Just(" ")],
    )
        .prop_map(|(name, extras, specs, marker, sp)| {
            let mut s = name;
            if !extras.is_empty() {
                s.push_str(&format!("{sp}[{}]", extras.join(",")));
            }
            if !specs.is_empty() {
                s.push_str(&format!("{sp}{}", specs.join(",")));
            }
            if let Some(m) = marker {
                s.push_str(&format!(" ; {m}"));
            }
            s
        })
}

fn pyproject(deps: &[String]) -> String {
    let list: Vec<String> = deps
        .iter()
        .map(|d| toml::Value::String(d.clone()).to_string())
        .collect();
    format!(
        "[project]\nname = \"x\"\ndependencies = [{}]\n",
        list.join(", ")
    )
}

/// Parses `pip`, the line pip gets, as Berth's own requirements.txt parser does, and checks it is
/// `req` again: name, extras, version and hashes alike, and a marker with the same canonical form
/// (`pep508_rs` simplifies markers, so a marker it proves false, say `python_version == '0.0.0'`,
/// prints as another false one, `python_version < '0'`; printing that one again is a fixed point).
fn reparses_to(pip: &str, req: &Requirement) -> Result<(), TestCaseError> {
    let again = one_line(pip).map_err(|e| TestCaseError::fail(format!("{pip:?}: {e}")))?;
    prop_assert_eq!(&again.spec.name, &req.spec.name);
    prop_assert_eq!(&again.spec.extras, &req.spec.extras);
    prop_assert_eq!(&again.spec.version_or_url, &req.spec.version_or_url);
    prop_assert_eq!(&again.hashes, &req.hashes);
    let line = again.to_pip_line();
    let third = one_line(&line).map_err(|e| TestCaseError::fail(format!("{line:?}: {e}")))?;
    prop_assert_eq!(third.to_pip_line(), line);
    prop_assert_eq!(again.spec.marker.is_true(), req.spec.marker.is_true());
    Ok(())
}

fn one_line(text: &str) -> Result<Requirement, String> {
    let mut reqs = parse_requirements_txt(text).map_err(|e| e.to_string())?;
    assert_eq!(reqs.len(), 1, "{text:?}");
    Ok(reqs.remove(0))
}

/// Control characters a line or a TOML string can hold (tab is whitespace).
fn control() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u32..0x20).prop_filter("tab", |c| *c != 9),
        Just(0x7f),
        0x80u32..0xa0,
    ]
    .prop_map(|c| char::from_u32(c).unwrap_or('\0'))
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary text never panics any of the parsers.
    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = parse_requirements_txt(&s);
        let _ = parse_pyproject(&s);
        let _ = parse_pyproject(&pyproject(std::slice::from_ref(&s)));
        let _ = EntryPoint::parse(&s);
    }

    /// A well-formed requirement is accepted from either file, means the same from both, and the line
    /// pip gets parses back to the same requirement.
    #[test]
    fn valid_requirements_round_trip_to_pip(line in pep508()) {
        let req = one_line(&line).map_err(|e| TestCaseError::fail(format!("{line:?}: {e}")))?;
        let (from_toml, _) = parse_pyproject(&pyproject(std::slice::from_ref(&line)))
            .map_err(|e| TestCaseError::fail(format!("{line:?}: {e}")))?;
        prop_assert_eq!(&from_toml, &vec![req.clone()]);
        let pip = req.to_pip_line();
        prop_assert!(!pip.contains('\n') && !pip.trim_start().starts_with('-'), "{}", pip);
        reparses_to(&pip, &req)?;
    }

    /// Whatever `pyproject.toml` entry is accepted, the line pip gets is one line that Berth's own
    /// requirements.txt parser (pip's syntax) reads back as the same requirement.
    #[test]
    fn accepted_pyproject_entries_mean_the_same_to_pip(entry in prop_oneof![
        pep508(),
        (pep508(), "[ -~]{0,12}").prop_map(|(a, b)| format!("{a}{b}")),
    ]) {
        if let Ok((reqs, _)) = parse_pyproject(&pyproject(std::slice::from_ref(&entry))) {
            for r in reqs {
                let pip = r.to_pip_line();
                reparses_to(&pip, &r)?;
            }
        }
    }

    /// A marker value holding pip's own syntax (a comment, an option, an environment variable) is
    /// refused in either file: pip would not read the line Berth writes as written.
    #[test]
    fn pip_syntax_in_marker_values_is_refused(req in pep508(), v in "[a-z]{0,4}", p in pip_syntax()) {
        let base = req.split(';').next().unwrap_or("x").trim_end();
        let line = format!("{base} ; os_name == \"{v}{p}\"");
        prop_assert!(parse_requirements_txt(&line).is_err(), "{:?}", line);
        prop_assert!(parse_pyproject(&pyproject(std::slice::from_ref(&line))).is_err(), "{:?}", line);
    }

    /// A line that starts with `-` is a pip option and is refused, in either file, with the line named.
    #[test]
    fn pip_options_are_refused(
        opt in prop_oneof![
            prop::sample::select(vec!["-r", "-c", "-e", "--index-url", "--extra-index-url",
                "--find-links", "--no-binary", "--trusted-host", "-i", "-f", "--requirement", "--pre"])
                .prop_map(str::to_string),
            "-[a-zA-Z-]{0,12}",
        ],
        sep in prop_oneof![Just(" "), Just("="), Just(""), Just("\t")],
        arg in prop_oneof![pep508(), Just("/srv/data/secret.key".to_string()), "[ -~]{0,20}"],
        lead in prop_oneof![Just(""), Just(" "), Just("\t")],
    ) {
        let line = format!("{lead}{opt}{sep}{arg}");
        let err = parse_requirements_txt(&format!("httpx\n{line}\n")).unwrap_err().to_string();
        prop_assert!(err.contains("line 2"), "{}", err);
        let err = parse_pyproject(&pyproject(&["httpx".into(), line])).unwrap_err().to_string();
        prop_assert!(err.contains("entry 2"), "{}", err);
    }

    /// URLs, archives and VCS references are refused: before the name, or after `@`.
    #[test]
    fn urls_are_refused(
        scheme in prop_oneof![
            prop::sample::select(vec!["https", "http", "file", "git+https", "git+ssh", "hg+http"])
                .prop_map(str::to_string),
            "[a-z][a-z+]{0,8}",
        ],
        rest in "[a-zA-Z0-9./_-]{0,30}",
        req in pep508(),
        at in prop::bool::ANY,
    ) {
        let url = format!("{scheme}://{rest}");
        let line = if at {
            let name = req.split([' ', '[', '=', '!', '<', '>', '~', ';']).next().unwrap_or("x");
            format!("{name} @ {url}")
        } else {
            format!("{url}{req}")
        };
        prop_assert!(parse_requirements_txt(&line).is_err(), "{}", line);
        prop_assert!(parse_pyproject(&pyproject(std::slice::from_ref(&line))).is_err(), "{}", line);
    }

    /// A control character anywhere in a requirement refuses it (in a pyproject string, newlines
    /// included).
    #[test]
    fn control_characters_are_refused(req in pep508(), c in control(), at in any::<prop::sample::Index>()) {
        let chars: Vec<char> = req.chars().collect();
        let i = at.index(chars.len() + 1);
        let line: String = chars[..i].iter().chain([c].iter()).chain(chars[i..].iter()).collect();
        prop_assert!(parse_pyproject(&pyproject(std::slice::from_ref(&line))).is_err(), "{:?}", line);
        if c != '\n' && c != '\r' {
            prop_assert!(parse_requirements_txt(&line).is_err(), "{:?}", line);
        }
    }

    /// Entry points: what is accepted is a relative path of plain segments to a `.py` module and an
    /// identifier, with no control character, and its canonical form parses back to itself.
    #[test]
    fn entry_points(s in prop_oneof![
        any::<String>(),
        (prop::collection::vec(prop_oneof!["[a-z_]{1,6}", Just("..".to_string()), Just(".".to_string()),
            Just(String::new()), "[ -~]{1,4}", "[\\x00-\\x1f]"], 0..4),
         "[a-zA-Z_][a-zA-Z0-9_]{0,8}", prop_oneof![Just(".py"), Just(".txt"), Just("")],
         "[a-zA-Z_0-9:]{0,8}")
            .prop_map(|(dirs, m, ext, obj)| {
                let mut p = dirs.join("/");
                if !p.is_empty() { p.push('/'); }
                format!("{p}{m}{ext}:{obj}")
            }),
    ]) {
        let Ok(e) = EntryPoint::parse(&s) else { return Ok(()); };
        let file = e.file();
        prop_assert!(file.is_relative());
        for part in file.components() {
            prop_assert!(matches!(part, std::path::Component::Normal(_)), "{:?}", s);
        }
        prop_assert!(!s.chars().any(char::is_control), "{:?}", s);
        let canonical = format!("{}:{}", file.display(), e.object);
        prop_assert_eq!(EntryPoint::parse(&canonical).ok(), Some(e));
    }
}

/// Deeply nested TOML (a `pyproject.toml` is up to 1 MiB of a repository's text) is refused, not a
/// stack overflow.
#[test]
fn deeply_nested_pyproject_is_refused() {
    for depth in [1_000, 10_000, 100_000] {
        let arrays = format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let _ = parse_pyproject(&arrays);
        let tables = format!("x = {}{}\n", "{a=".repeat(depth), "}".repeat(depth));
        let _ = parse_pyproject(&tables);
        let deps = format!(
            "[project]\ndependencies = [{}\"x\"{}]\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(parse_pyproject(&deps).is_err());
    }
}
