//! Fuzz target `signatures`: Twilio's `X-Twilio-Signature`, Vonage's signed webhooks (JWT
//! HS256 + `payload_hash`) and jambonz's `Jambonz-Signature` (HMAC-SHA256 over `t.body`) and
//! Basic credentials.
//!
//! Properties, for arbitrary keys, URLs, bodies and headers: verification never panics; what
//! we sign with the right key verifies (whatever the order of the parameters); a change to the
//! URL, a parameter, the body, the signature or the key, or a token too old, is refused.

use guichet_connectors::jambonz::auth::{self as jambonz, BasicCredentials, WebhookVerifier};
use guichet_connectors::twilio::{Form, signature as twilio};
use guichet_connectors::vonage::signature as vonage;
use guichet_fuzz::mutate::{self, Mutation};
use guichet_fuzz::{Input, ensure};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "signatures";

/// What is changed in a signed Twilio request's parameters.
#[derive(Debug, Clone)]
enum ParamEdit {
    Value { at: usize, value: String },
    Name { at: usize, name: String },
    Add { name: String, value: String },
    Remove { at: usize },
}

#[derive(Debug, Clone)]
struct Case {
    key: String,
    other_key: String,
    url: String,
    other_url: String,
    /// A form body (Twilio) and the raw body (Vonage).
    body: Vec<u8>,
    /// An arbitrary header value, as an attacker would send it.
    forged: Option<String>,
    param_edit: ParamEdit,
    /// Edits of the signature / of the `Authorization` header.
    signature_edits: Vec<Mutation>,
    body_edits: Vec<Mutation>,
    iat: i64,
    /// Offset of `now` from `iat` within `max_age`, as a fraction in [-1, 1].
    skew: f64,
    max_age: i64,
    /// How far past `max_age` a late token is.
    lateness: u32,
    /// Any instant, for the replay window.
    now_anywhere: i64,
    jti: String,
}

impl Input for Case {
    fn to_bytes(&self) -> Vec<u8> {
        format!("{self:#?}\n").into_bytes()
    }
}

/// HMAC pads keys of up to one block (64 bytes for SHA-1 and SHA-256) with zeros: such keys
/// that differ only by trailing NULs are the same key.
fn same_hmac_key(a: &str, b: &str) -> bool {
    a == b
        || (a.len() <= 64 && b.len() <= 64 && a.trim_end_matches('\0') == b.trim_end_matches('\0'))
}

/// What Twilio signs: the URL, then each parameter's name and value, sorted.
fn signed_text(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.as_bytes().to_vec();
    for (name, value) in sorted {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(value.as_bytes());
    }
    text
}

fn edited(text: &str, edits: &[Mutation]) -> String {
    let tokens: Vec<Vec<u8>> = ["=", "+", "/", "-", "_", ".", " ", "A", "Bearer ", "\0"]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        mutate::apply(&mut bytes, edit, &[], &tokens);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edit_params(params: &[(String, String)], edit: &ParamEdit) -> Vec<(String, String)> {
    let mut params = params.to_vec();
    let len = params.len();
    match edit {
        ParamEdit::Value { at, value } if len > 0 => params[at % len].1 = value.clone(),
        ParamEdit::Name { at, name } if len > 0 => params[at % len].0 = name.clone(),
        ParamEdit::Remove { at } if len > 0 => {
            params.remove(at % len);
        }
        ParamEdit::Add { name, value } => params.push((name.clone(), value.clone())),
        _ => {}
    }
    params
}

fn check_twilio(case: &Case) -> Result<(), String> {
    let params = Form::parse(&case.body)
        .map(|form| form.params().to_vec())
        .unwrap_or_default();
    let good = twilio::sign(&case.key, &case.url, &params);
    let verify = |key: &str, url: &str, params: &[(String, String)], given: &str| {
        twilio::verify(key, url, params, Some(given))
    };

    let forged = twilio::verify(&case.key, &case.url, &params, case.forged.as_deref());
    ensure(
        forged.is_err() || case.forged.as_deref().map(str::trim) == Some(good.as_str()),
        || format!("forged signature {:?} accepted", case.forged),
    )?;
    ensure(verify(&case.key, &case.url, &params, &good).is_ok(), || {
        format!("our own signature {good:?} is refused")
    })?;
    let reversed: Vec<_> = params.iter().rev().cloned().collect();
    ensure(
        verify(&case.key, &case.url, &reversed, &good).is_ok(),
        || "the order of the parameters changed the signature".into(),
    )?;
    if case.other_url != case.url {
        ensure(
            verify(&case.key, &case.other_url, &params, &good).is_err(),
            || format!("signature accepted for another URL {:?}", case.other_url),
        )?;
    }
    let changed = edit_params(&params, &case.param_edit);
    if signed_text(&case.url, &changed) != signed_text(&case.url, &params) {
        ensure(
            verify(&case.key, &case.url, &changed, &good).is_err(),
            || format!("signature accepted for changed parameters {changed:?}"),
        )?;
    }
    let signature = edited(&good, &case.signature_edits);
    if signature.trim() != good {
        ensure(
            verify(&case.key, &case.url, &params, &signature).is_err(),
            || format!("altered signature {signature:?} accepted (good: {good:?})"),
        )?;
    }
    if !same_hmac_key(&case.key, &case.other_key) {
        ensure(
            verify(&case.other_key, &case.url, &params, &good).is_err(),
            || format!("signature accepted with another token {:?}", case.other_key),
        )?;
    }
    Ok(())
}

/// The token of an `Authorization` header, as `verify` reads it.
fn bearer_token(header: &str) -> Option<&str> {
    header.trim().strip_prefix("Bearer ").map(str::trim)
}

fn check_vonage(case: &Case) -> Result<(), String> {
    let body = &case.body;
    let header = vonage::sign(&case.key, body, case.iat, &case.jti);
    let max_age = case.max_age;
    let verify = |key: &str, header: &str, body: &[u8], now: i64| {
        vonage::verify(key, Some(header), body, now, max_age)
    };

    let any_now = case.iat.wrapping_add(case.lateness.into());
    if let Some(forged) = &case.forged {
        let result = verify(&case.key, forged, body, any_now);
        ensure(
            result.is_err() || bearer_token(forged) == bearer_token(&header),
            || format!("forged Authorization {forged:?} accepted"),
        )?;
    }
    if case.key.is_empty() {
        // No secret, no valid token: an empty secret refuses every request.
        return ensure(verify(&case.key, &header, body, case.iat).is_err(), || {
            format!("a token was accepted with an empty secret: {header:?}")
        });
    }
    let fresh = (i128::from(case.now_anywhere) - i128::from(case.iat)).abs() <= i128::from(max_age);
    let anywhere = verify(&case.key, &header, body, case.now_anywhere);
    ensure(anywhere.is_ok() == fresh, || {
        format!(
            "token issued at {} checked at {} (max age {max_age}): {anywhere:?}",
            case.iat, case.now_anywhere
        )
    })?;
    let offset = (case.skew * max_age as f64) as i64;
    let Some(now) = case.iat.checked_add(offset).filter(|_| max_age >= 0) else {
        return Ok(());
    };
    let ok = verify(&case.key, &header, body, now);
    ensure(ok.is_ok(), || {
        format!("our own token is refused at iat{offset:+}s: {ok:?} ({header:?})")
    })?;

    let mut changed = body.clone();
    for edit in &case.body_edits {
        mutate::apply(&mut changed, edit, &[], &[]);
    }
    if &changed != body {
        ensure(verify(&case.key, &header, &changed, now).is_err(), || {
            format!("token accepted for another body {changed:?}")
        })?;
    }
    let altered = edited(&header, &case.signature_edits);
    if bearer_token(&altered) != bearer_token(&header) {
        ensure(verify(&case.key, &altered, body, now).is_err(), || {
            format!("altered Authorization {altered:?} accepted (good: {header:?})")
        })?;
    }
    if !same_hmac_key(&case.key, &case.other_key) {
        ensure(verify(&case.other_key, &header, body, now).is_err(), || {
            format!("token accepted with another secret {:?}", case.other_key)
        })?;
    }
    let late = i64::from(case.lateness) + 1;
    for now in [
        case.iat
            .checked_add(max_age)
            .and_then(|t| t.checked_add(late)),
        case.iat
            .checked_sub(max_age)
            .and_then(|t| t.checked_sub(late)),
    ]
    .into_iter()
    .flatten()
    {
        ensure(verify(&case.key, &header, body, now).is_err(), || {
            format!(
                "token issued at {} accepted at {now} (max age {max_age})",
                case.iat
            )
        })?;
    }
    Ok(())
}

/// The `v1` value of a `Jambonz-Signature` we made, lower-case hex.
fn jambonz_v1(header: &str) -> String {
    header
        .split_once(",v1=")
        .map_or(String::new(), |(_, v1)| v1.to_string())
}

fn check_jambonz(case: &Case) -> Result<(), String> {
    let body = &case.body;
    let Ok(tolerance) = u64::try_from(case.max_age) else {
        return Ok(());
    };
    let header = jambonz::sign(&case.key, body, case.iat);
    let good_v1 = jambonz_v1(&header);
    let verifier = match WebhookVerifier::new(None, Some(&case.key), tolerance) {
        Ok(verifier) => verifier,
        Err(_) => {
            // No secret, no verifier: an empty secret opens nothing.
            return ensure(case.key.is_empty(), || {
                "a non-empty secret was refused".into()
            });
        }
    };
    ensure(!case.key.is_empty(), || "a verifier without secret".into())?;
    let verify =
        |header: &str, body: &[u8], now: i64| verifier.verify(None, Some(header), body, now);
    // An accepted header carries our MAC (hex is read in either case).
    let carries_ours = |header: &str| header.to_ascii_lowercase().contains(&good_v1);

    if let Some(forged) = &case.forged {
        let result = verify(forged, body, case.iat);
        ensure(result.is_err() || carries_ours(forged), || {
            format!("forged Jambonz-Signature {forged:?} accepted")
        })?;
    }
    let fresh = case.now_anywhere.abs_diff(case.iat) <= tolerance;
    let anywhere = verify(&header, body, case.now_anywhere);
    ensure(anywhere.is_ok() == fresh, || {
        format!(
            "signed at {} checked at {} (tolerance {tolerance}): {anywhere:?}",
            case.iat, case.now_anywhere
        )
    })?;
    let offset = (case.skew * tolerance as f64) as i64;
    let Some(now) = case.iat.checked_add(offset) else {
        return Ok(());
    };
    let ok = verify(&header, body, now);
    ensure(ok.is_ok(), || {
        format!("our own signature is refused at t{offset:+}s: {ok:?} ({header:?})")
    })?;
    let mut changed = body.clone();
    for edit in &case.body_edits {
        mutate::apply(&mut changed, edit, &[], &[]);
    }
    if &changed != body {
        ensure(verify(&header, &changed, now).is_err(), || {
            format!("signature accepted for another body {changed:?}")
        })?;
    }
    let altered = edited(&header, &case.signature_edits);
    if verify(&altered, body, now).is_ok() {
        ensure(carries_ours(&altered), || {
            format!("altered Jambonz-Signature {altered:?} accepted (good: {header:?})")
        })?;
    }
    if !same_hmac_key(&case.key, &case.other_key) && !case.other_key.is_empty() {
        let other = WebhookVerifier::new(None, Some(&case.other_key), tolerance)
            .map_err(|e| e.to_string())?;
        ensure(
            other.verify(None, Some(&header), body, now).is_err(),
            || {
                format!(
                    "signature accepted with another secret {:?}",
                    case.other_key
                )
            },
        )?;
    }
    let late = u64::from(case.lateness) + 1;
    for now in [
        i64::try_from(tolerance.saturating_add(late))
            .ok()
            .and_then(|shift| case.iat.checked_add(shift)),
        i64::try_from(tolerance.saturating_add(late))
            .ok()
            .and_then(|shift| case.iat.checked_sub(shift)),
    ]
    .into_iter()
    .flatten()
    {
        ensure(verify(&header, body, now).is_err(), || {
            format!(
                "signed at {} accepted at {now} (tolerance {tolerance})",
                case.iat
            )
        })?;
    }
    check_jambonz_basic(case)
}

/// Basic credentials: only the exact user and password pass, whatever the header holds.
fn check_jambonz_basic(case: &Case) -> Result<(), String> {
    let credentials = BasicCredentials {
        username: case.key.clone(),
        password: case.other_key.clone(),
    };
    let Ok(verifier) = WebhookVerifier::new(Some(credentials.clone()), None, 300) else {
        return ensure(case.key.is_empty() || case.other_key.is_empty(), || {
            "non-empty Basic credentials were refused".into()
        });
    };
    let good = jambonz::basic_authorization(&credentials);
    ensure(verifier.verify(Some(&good), None, b"", 0).is_ok(), || {
        format!("our own Basic header {good:?} is refused")
    })?;
    if let Some(forged) = &case.forged {
        // Canonical base64 is unique: an accepted header carries exactly our encoding.
        let ours = good.strip_prefix("Basic ").unwrap_or_default();
        let theirs = forged
            .trim()
            .split_once(' ')
            .map(|(_, encoded)| encoded.trim());
        ensure(
            verifier.verify(Some(forged), None, b"", 0).is_err() || theirs == Some(ours),
            || format!("forged Authorization {forged:?} accepted"),
        )?;
    }
    Ok(())
}

fn check(case: &Case) -> Result<(), String> {
    check_twilio(case)?;
    check_vonage(case)?;
    check_jambonz(case)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9]{32}",
        1 => any::<String>(),
        1 => Just(String::new()),
        1 => "[a-z]{60,70}",
        1 => "[a-z]{3}\0{0,3}",
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(&[
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            "https://guichet.villebourg.example/twilio/voice/turn?seq=1",
            "https://guichet.villebourg.example/twilio/voice/turn?seq=2",
            "http://127.0.0.1:8080/twilio/sms",
            "",
        ][..])
        .prop_map(str::to_owned),
        1 => "https://[a-z.]{1,20}(:[0-9]{1,5})?/[a-z/]{0,20}([?][a-z=&0-9]{0,20})?",
        1 => any::<String>(),
    ]
}

fn param_edit() -> impl Strategy<Value = ParamEdit> {
    prop_oneof![
        (any::<usize>(), any::<String>()).prop_map(|(at, value)| ParamEdit::Value { at, value }),
        (any::<usize>(), any::<String>()).prop_map(|(at, name)| ParamEdit::Name { at, name }),
        (any::<String>(), any::<String>()).prop_map(|(name, value)| ParamEdit::Add { name, value }),
        any::<usize>().prop_map(|at| ParamEdit::Remove { at }),
    ]
}

fn iat() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 1_700_000_000i64..1_900_000_000,
        1 => any::<i64>(),
        1 => select(&[i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX][..]),
    ]
}

fn strategy(corpus: &[Vec<u8>]) -> impl Strategy<Value = Case> {
    let fresh_form = vec((any::<String>(), any::<String>()), 0..8)
        .prop_map(|pairs| Form::from_pairs(pairs).encode().into_bytes())
        .boxed();
    let body = mutate::bytes(corpus, &["=", "&", "%"], fresh_form);
    let forged = prop::option::of(prop_oneof![
        any::<String>(),
        "Bearer [A-Za-z0-9_.-]{0,80}",
        "[A-Za-z0-9+/]{27}=",
    ]);
    let max_age = prop_oneof![4 => 0i64..86_400, 1 => any::<i64>()];
    (
        (key(), key(), url(), url(), body, forged),
        (
            param_edit(),
            vec(mutate::mutation(), 1..4),
            vec(mutate::mutation(), 1..4),
            iat(),
            -1.0f64..=1.0,
            max_age,
            any::<u32>(),
            "[a-z0-9-]{0,12}",
            prop_oneof![iat(), any::<i64>()],
        ),
    )
        .prop_map(
            |(
                (key, other_key, url, other_url, body, forged),
                (
                    param_edit,
                    signature_edits,
                    body_edits,
                    iat,
                    skew,
                    max_age,
                    lateness,
                    jti,
                    now_anywhere,
                ),
            )| Case {
                key,
                other_key,
                url,
                other_url,
                body,
                forged,
                param_edit,
                signature_edits,
                body_edits,
                iat,
                skew,
                max_age,
                lateness,
                now_anywhere,
                jti,
            },
        )
}

/// Each corpus body, signed with realistic keys and changed in simple ways, and the cases
/// that once failed.
fn seeds(corpus: &[Vec<u8>]) -> Vec<Case> {
    let mut seeds: Vec<Case> = corpus
        .iter()
        .map(|body| Case {
            key: "12345".into(),
            other_key: "12346".into(),
            url: "https://mycompany.com/myapp.php?foo=1&bar=2".into(),
            other_url: "https://mycompany.com/myapp.php?foo=1&bar=3".into(),
            body: body.clone(),
            forged: Some("GvWf1cFY/Q7PnoempGyD5oXAezc=".into()),
            param_edit: ParamEdit::Value {
                at: 0,
                value: "+33612345679".into(),
            },
            signature_edits: vec![Mutation::FlipBit { at: 3, bit: 1 }],
            body_edits: vec![Mutation::Insert {
                at: 0,
                bytes: b" ".to_vec(),
            }],
            iat: 1_800_000_000,
            skew: 0.5,
            max_age: 300,
            lateness: 0,
            now_anywhere: 1_800_000_100,
            jti: "j1".into(),
        })
        .collect();
    if let Some(first) = seeds.first().cloned() {
        // Regression: a signed token issued at i64::MIN made `now - iat` overflow.
        seeds.push(Case {
            key: "a-signature-secret-of-32-bytes!!".into(),
            iat: i64::MIN,
            now_anywhere: 1_800_000_000,
            ..first
        });
    }
    seeds
}

#[test]
fn twilio_vonage_and_jambonz_signatures() {
    let corpus = guichet_fuzz::corpus(TARGET);
    assert!(!corpus.is_empty(), "the signatures corpus is missing");
    let summary = guichet_fuzz::run(TARGET, seeds(&corpus), strategy(&corpus), check);
    assert!(summary.generated > 0 || guichet_fuzz::budget().is_zero());
}
