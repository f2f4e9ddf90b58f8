use super::*;

const SECRET: &str = "wh_secret_villebourg";
const NOW: i64 = 1_767_225_600;
const BODY: &[u8] =
    br#"{"call_sid":"b3c1e6a2","direction":"inbound","from":"+33612345678","to":"+33130000001"}"#;

fn credentials(password: &str) -> BasicCredentials {
    BasicCredentials {
        username: "jambonz".into(),
        password: password.into(),
    }
}

fn signature_only() -> WebhookVerifier {
    WebhookVerifier::new(None, Some(SECRET), DEFAULT_TOLERANCE_SECONDS).unwrap()
}

fn basic_only() -> WebhookVerifier {
    WebhookVerifier::new(
        Some(credentials("s3cret-p4ss")),
        None,
        DEFAULT_TOLERANCE_SECONDS,
    )
    .unwrap()
}

/// An HMAC-SHA256 computed outside this code (Python's `hmac`) over `"1767225600." + BODY`.
#[test]
fn an_independently_computed_signature() {
    let expected =
        "t=1767225600,v1=ea1d282ce1aa2d5ed149ef5848ee4758a3a9ad696e0a039ee2f2bb32e8b2a942";
    assert_eq!(sign(SECRET, BODY, NOW), expected);
    assert_eq!(
        signature_only().verify(None, Some(expected), BODY, NOW + 30),
        Ok(())
    );
    assert_eq!(
        basic_authorization(&credentials("s3cret-p4ss")),
        "Basic amFtYm9uejpzM2NyZXQtcDRzcw=="
    );
}

#[test]
fn nothing_configured_is_refused_at_construction() {
    assert_eq!(
        WebhookVerifier::new(None, None, 300).unwrap_err(),
        NotConfigured
    );
    assert!(WebhookVerifier::new(None, Some(""), 300).is_err());
    assert!(WebhookVerifier::new(Some(credentials("")), None, 300).is_err());
    let no_user = BasicCredentials {
        username: String::new(),
        password: "p".into(),
    };
    assert!(WebhookVerifier::new(Some(no_user), None, 300).is_err());
    let verifier = basic_only();
    assert!(!format!("{verifier:?}").contains("s3cret"));
    assert!(!format!("{:?}", credentials("s3cret-p4ss")).contains("s3cret"));
}

#[test]
fn signatures_missing_forged_altered_or_stale_are_refused() {
    let verifier = signature_only();
    let good = sign(SECRET, BODY, NOW);
    assert_eq!(
        verifier.verify(None, None, BODY, NOW),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verifier.verify(None, Some("  "), BODY, NOW),
        Err(WebhookError::MissingSignature)
    );
    let refused = |header: &str, body: &[u8], now: i64| {
        matches!(
            verifier.verify(None, Some(header), body, now),
            Err(WebhookError::BadSignature(_))
        )
    };
    // Another body, another secret, a flipped hex digit.
    assert!(refused(&good, br#"{"call_sid":"b3c1e6a2"}"#, NOW));
    assert!(refused(&sign("another-secret", BODY, NOW), BODY, NOW));
    assert!(refused(&good.replace("v1=ea", "v1=eb"), BODY, NOW));
    // The timestamp is signed: moving it breaks the signature.
    assert!(refused(
        &good.replace("t=1767225600", "t=1767225601"),
        BODY,
        NOW
    ));
    // Replays outside the window, either way.
    assert!(refused(&good, BODY, NOW + 301));
    assert!(refused(&good, BODY, NOW - 301));
    assert_eq!(verifier.verify(None, Some(&good), BODY, NOW + 300), Ok(()));
    assert!(refused(&sign(SECRET, BODY, i64::MIN), BODY, NOW));
    // Malformed headers.
    for header in [
        "v1=ea1d",
        "t=1767225600",
        "t=soon,v1=00",
        "t=1,t=2,v1=00",
        "garbage",
        "t=1767225600,v1=not-hex",
        "t=1767225600,v0=ea1d282ce1aa2d5ed149ef5848ee4758a3a9ad696e0a039ee2f2bb32e8b2a942",
    ] {
        assert!(refused(header, BODY, NOW), "{header}");
    }
}

#[test]
fn one_matching_v1_among_several_is_enough_and_spacing_is_tolerated() {
    let verifier = signature_only();
    let good = sign(SECRET, BODY, NOW);
    let v1 = good.split_once(",v1=").unwrap().1;
    let rotated = format!("t={NOW}, v1={}, v1={v1}", "00".repeat(32));
    assert_eq!(verifier.verify(None, Some(&rotated), BODY, NOW), Ok(()));
    // A flood of signatures is cut: only the first few are tried.
    let flood = format!("t={NOW},{},v1={v1}", vec!["v1=00"; 50].join(","));
    assert!(verifier.verify(None, Some(&flood), BODY, NOW).is_err());
}

#[test]
fn basic_credentials_are_checked() {
    let verifier = basic_only();
    let good = basic_authorization(&credentials("s3cret-p4ss"));
    assert_eq!(verifier.verify(Some(&good), None, BODY, NOW), Ok(()));
    assert_eq!(
        verifier.verify(Some(&good.replace("Basic", "basic")), None, BODY, NOW),
        Ok(())
    );
    assert_eq!(
        verifier.verify(None, None, BODY, NOW),
        Err(WebhookError::MissingSignature)
    );
    for wrong in [
        basic_authorization(&credentials("s3cret-p4sS")),
        basic_authorization(&credentials("s3cret-p4ss ")),
        basic_authorization(&BasicCredentials {
            username: "admin".into(),
            password: "s3cret-p4ss".into(),
        }),
        "Bearer amFtYm9uejpzM2NyZXQtcDRzcw==".into(),
        "Basic %%%".into(),
        "Basic".into(),
    ] {
        assert!(
            matches!(
                verifier.verify(Some(&wrong), None, BODY, NOW),
                Err(WebhookError::BadSignature(_))
            ),
            "{wrong}"
        );
    }
}

#[test]
fn with_both_configured_both_must_pass() {
    let verifier = WebhookVerifier::new(
        Some(credentials("s3cret-p4ss")),
        Some(SECRET),
        DEFAULT_TOLERANCE_SECONDS,
    )
    .unwrap();
    let basic = basic_authorization(&credentials("s3cret-p4ss"));
    let signature = sign(SECRET, BODY, NOW);
    assert_eq!(
        verifier.verify(Some(&basic), Some(&signature), BODY, NOW),
        Ok(())
    );
    assert_eq!(
        verifier.verify(Some(&basic), None, BODY, NOW),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verifier.verify(None, Some(&signature), BODY, NOW),
        Err(WebhookError::MissingSignature)
    );
    assert!(
        verifier
            .verify(Some(&basic), Some(&sign(SECRET, b"{}", NOW)), BODY, NOW)
            .is_err()
    );
}
