use super::*;

#[test]
fn entries_parse_into_what_they_allow() {
    // (entry, host asked, port asked, allowed)
    let cases: &[(&str, &str, u16, bool)] = &[
        ("api.github.com", "api.github.com", 443, true),
        ("api.github.com", "API.GitHub.com.", 80, true),
        ("api.github.com", "api.github.com", 8443, false),
        ("api.github.com", "github.com", 443, false),
        ("api.github.com", "evil-api.github.com", 443, false),
        ("*.example.com", "a.example.com", 443, true),
        ("*.example.com", "a.b.example.com", 80, true),
        ("*.example.com", "example.com", 443, false),
        ("*.example.com", "badexample.com", 443, false),
        ("*.example.com", "a.example.com.evil.net", 443, false),
        ("*.example.com:8080", "x.example.com", 8080, true),
        ("*.example.com:8080", "x.example.com", 443, false),
        ("127.0.0.1:8443", "127.0.0.1", 8443, true),
        ("127.0.0.1:8443", "127.0.0.1", 443, false),
        ("127.0.0.1", "127.0.0.1", 80, true),
        ("127.0.0.1", "localhost", 80, false),
        ("[::1]:9000", "[::1]", 9000, true),
        ("[::1]:9000", "::1", 9000, true),
        ("::1", "0:0:0:0:0:0:0:1", 443, true),
        ("localhost:3000", "localhost", 3000, true),
    ];
    for (entry, host, port, allowed) in cases {
        let p = HostPattern::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
        assert_eq!(p.allows(host, *port), *allowed, "{entry} vs {host}:{port}");
    }
}

#[test]
fn bad_entries_say_what_to_write() {
    // (entry, a fragment of the message)
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        (
            "https://api.github.com/v3",
            "write the host only, `api.github.com`",
        ),
        ("api.github.com/v3", "no path"),
        ("user@host.com", "no path, no user"),
        ("*", "leading `*.`"),
        ("*.com", "every host under `.com`"),
        ("a.*.example.com", "leading `*.`"),
        ("**.example.com", "leading `*.`"),
        ("host:0", "1 to 65535"),
        ("host:99999", "1 to 65535"),
        ("host:+80", "1 to 65535"),
        ("host:", "1 to 65535"),
        ("exa mple.com", "spaces"),
        ("bad\u{7}.com", "control"),
        ("-bad.com", "not a host name"),
        ("a..b", "not a host name"),
        ("999.1.1.1", "not one"),
        ("[::1", "does not close"),
        ("[::1]x", "not `:port`"),
        ("*.10.0.0.1", "not"),
    ];
    for (entry, fragment) in cases {
        let err = HostPattern::parse(entry).expect_err(entry);
        assert!(err.contains(fragment), "{entry:?}: {err}");
    }
    let long = format!("{}.com", "a".repeat(300));
    assert!(
        HostPattern::parse(&long)
            .unwrap_err()
            .contains("bytes long")
    );
}

#[test]
fn a_list_is_bounded_deduplicated_and_merged() {
    let many: Vec<String> = (0..=MAX_ALLOW_ENTRIES)
        .map(|i| format!("h{i}.com"))
        .collect();
    assert!(AllowList::parse(&many).unwrap_err().contains("more than"));
    let a = AllowList::parse(&["API.github.com", "api.github.com", "*.x.org:81"]).unwrap();
    assert_eq!(a.entries(), ["api.github.com", "*.x.org:81"]);
    let b = AllowList::parse(&["127.0.0.1:8443", "api.github.com", "[::1]:9"]).unwrap();
    let m = a.merged(&b);
    assert_eq!(
        m.entries(),
        ["api.github.com", "*.x.org:81", "127.0.0.1:8443", "[::1]:9"]
    );
    assert!(m.allows("127.0.0.1", 8443) && !AllowList::default().allows("api.github.com", 443));
}

#[test]
fn the_operator_policy_refuses_private_and_metadata_addresses() {
    let refused = [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "100.100.100.200",
        "168.63.129.16",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "::",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "2001:db8::1",
    ];
    for ip in refused {
        let addr: IpAddr = ip.parse().unwrap();
        assert!(refused_address(addr).is_some(), "{ip} should be refused");
    }
    assert_eq!(
        refused_address("169.254.169.254".parse().unwrap()),
        Some("cloud metadata")
    );
    assert_eq!(
        refused_address("fd00:ec2::254".parse().unwrap()),
        Some("cloud metadata")
    );
    for ip in [
        "8.8.8.8",
        "140.82.112.5",
        "172.32.0.1",
        "100.128.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ] {
        let addr: IpAddr = ip.parse().unwrap();
        assert_eq!(refused_address(addr), None, "{ip} is public");
    }
}
