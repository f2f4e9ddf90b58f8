//! What the fake jambonz accepts as an answer: a JSON array of verbs, each checked the way the
//! feature server checks it (`normalizeJambones` then `validateVerb` of
//! @jambonz/verb-specifications: a known verb, no unknown property, the right types, the required
//! properties) and, beyond that, what would make a call go wrong silently: a `say` with nothing
//! to say, a `gather` without `actionHook` (its result would go nowhere), an empty or unknown
//! `input`, a `dial` without a valid target, a verb after `hangup`, a hook that is not a URL.

use serde_json::{Map, Value};

/// The type of a property, as the specifications write it (`"string|array"`, `"#synthesizer"`…).
#[derive(Clone, Copy)]
enum Type {
    Str,
    Num,
    Bool,
    Obj,
    Arr,
    StrOrArr,
    NumOrStr,
    /// An actionHook: a URL, or an object with a `url`.
    Hook,
    Enum(&'static [&'static str]),
    Nested(&'static Spec),
    NestedList(&'static Spec),
}

struct Spec {
    name: &'static str,
    properties: &'static [(&'static str, Type)],
    required: &'static [&'static str],
}

use Type::*;

const SYNTHESIZER: Spec = Spec {
    name: "synthesizer",
    properties: &[
        ("vendor", Str),
        ("label", Str),
        ("language", Str),
        ("voice", Str),
        ("fallbackVendor", Str),
        ("fallbackLabel", Str),
        ("fallbackLanguage", Str),
        ("fallbackVoice", Str),
        (
            "engine",
            Enum(&["standard", "neural", "generative", "long-form"]),
        ),
        ("gender", Enum(&["MALE", "FEMALE", "NEUTRAL"])),
        ("options", Obj),
    ],
    required: &["vendor"],
};

const RECOGNIZER: Spec = Spec {
    name: "recognizer",
    properties: &[
        ("vendor", Str),
        ("label", Str),
        ("language", Str),
        ("fallbackVendor", Str),
        ("fallbackLabel", Str),
        ("fallbackLanguage", Str),
        ("vad", Obj),
        ("hints", Arr),
        ("hintsBoost", Num),
        ("altLanguages", Arr),
        ("profanityFilter", Bool),
        ("interim", Bool),
        ("singleUtterance", Bool),
        ("punctuation", Bool),
        ("enhancedModel", Bool),
        ("words", Bool),
        ("model", Str),
        ("minConfidence", Num),
        ("asrTimeout", Num),
        ("asrDtmfTerminationDigit", Str),
        ("fastRecognitionTimeout", Num),
        ("googleOptions", Obj),
        ("deepgramOptions", Obj),
        ("azureOptions", Obj),
        ("customOptions", Obj),
        ("nvidiaOptions", Obj),
        ("speechmaticsOptions", Obj),
    ],
    required: &["vendor"],
};

const SAY: Spec = Spec {
    name: "say",
    properties: &[
        ("id", Str),
        ("text", StrOrArr),
        ("instructions", Str),
        ("stream", Bool),
        ("loop", NumOrStr),
        ("synthesizer", Nested(&SYNTHESIZER)),
        ("earlyMedia", Bool),
        ("disableTtsCache", Bool),
        ("closeStreamOnEmpty", Bool),
    ],
    required: &[],
};

const PLAY: Spec = Spec {
    name: "play",
    properties: &[
        ("id", Str),
        ("url", StrOrArr),
        ("loop", NumOrStr),
        ("earlyMedia", Bool),
        ("seekOffset", NumOrStr),
        ("timeoutSecs", NumOrStr),
        ("actionHook", Hook),
    ],
    required: &["url"],
};

const GATHER: Spec = Spec {
    name: "gather",
    properties: &[
        ("id", Str),
        ("actionHook", Hook),
        ("finishOnKey", Str),
        ("input", Arr),
        ("numDigits", Num),
        ("minDigits", Num),
        ("maxDigits", Num),
        ("interDigitTimeout", Num),
        ("partialResultHook", Hook),
        ("speechTimeout", Num),
        ("listenDuringPrompt", Bool),
        ("dtmfBargein", Bool),
        ("bargein", Bool),
        ("minBargeinWordCount", Num),
        ("timeout", Num),
        ("recognizer", Nested(&RECOGNIZER)),
        ("play", Nested(&PLAY)),
        ("say", Nested(&SAY)),
        ("fillerNoise", Obj),
        ("actionHookDelayAction", Obj),
    ],
    required: &["actionHook"],
};

const TARGET: Spec = Spec {
    name: "target",
    properties: &[
        ("type", Enum(&["phone", "sip", "user", "teams"])),
        ("confirmHook", Hook),
        ("method", Enum(&["GET", "POST"])),
        ("headers", Obj),
        ("from", Obj),
        ("name", Str),
        ("number", Str),
        ("sipUri", Str),
        ("auth", Obj),
        ("vmail", Bool),
        ("tenant", Str),
        ("trunk", Str),
        ("overrideTo", Str),
        ("proxy", Str),
    ],
    required: &["type"],
};

const DIAL: Spec = Spec {
    name: "dial",
    properties: &[
        ("id", Str),
        ("actionHook", Hook),
        ("onHoldHook", Hook),
        ("answerOnBridge", Bool),
        ("callerId", Str),
        ("callerName", Str),
        ("confirmHook", Hook),
        ("referHook", Hook),
        ("dialMusic", Str),
        ("dtmfCapture", Obj),
        ("dtmfHook", Hook),
        ("headers", Obj),
        ("anchorMedia", Bool),
        ("exitMediaPath", Bool),
        ("boostAudioSignal", NumOrStr),
        ("target", NestedList(&TARGET)),
        ("timeLimit", Num),
        ("timeout", Num),
        ("proxy", Str),
        ("tag", Obj),
        ("forwardPAI", Bool),
    ],
    required: &["target"],
};

const HANGUP: Spec = Spec {
    name: "hangup",
    properties: &[("id", Str), ("headers", Obj)],
    required: &[],
};

const PAUSE: Spec = Spec {
    name: "pause",
    properties: &[("id", Str), ("length", Num)],
    required: &["length"],
};

const REDIRECT: Spec = Spec {
    name: "redirect",
    properties: &[("id", Str), ("actionHook", Hook), ("statusHook", Hook)],
    required: &["actionHook"],
};

const MESSAGE: Spec = Spec {
    name: "message",
    properties: &[
        ("id", Str),
        ("carrier", Str),
        ("account_sid", Str),
        ("message_sid", Str),
        ("to", Str),
        ("from", Str),
        ("text", Str),
        ("media", StrOrArr),
        ("actionHook", Hook),
    ],
    required: &["to", "from", "text"],
};

const TAG: Spec = Spec {
    name: "tag",
    properties: &[("id", Str), ("data", Obj)],
    required: &["data"],
};

/// The verbs the fake runs.
const MODELLED: &[&Spec] = &[
    &SAY, &PLAY, &GATHER, &DIAL, &HANGUP, &PAUSE, &REDIRECT, &MESSAGE, &TAG,
];

/// jambonz verbs the fake does not run (a call flow of guichet has no use for them).
const NOT_MODELLED: &[&str] = &[
    "alert",
    "answer",
    "config",
    "conference",
    "dequeue",
    "dialogflow",
    "dtmf",
    "dub",
    "enqueue",
    "leave",
    "lex",
    "listen",
    "llm",
    "rasa",
    "record",
    "rest:dial",
    "s2s",
    "sip:decline",
    "sip:refer",
    "sip:request",
    "stream",
    "transcribe",
];

fn type_ok(value: &Value, ty: Type) -> bool {
    match ty {
        Str => value.is_string(),
        Num => value.is_number(),
        Bool => value.is_boolean(),
        Obj => value.is_object(),
        Arr => value.is_array(),
        StrOrArr => value.is_string() || value.is_array(),
        NumOrStr => value.is_number() || value.is_string(),
        Hook => match value {
            Value::String(url) => is_hook_url(url),
            Value::Object(hook) => hook
                .get("url")
                .and_then(Value::as_str)
                .is_some_and(is_hook_url),
            _ => false,
        },
        Enum(values) => value.as_str().is_some_and(|v| values.contains(&v)),
        Nested(_) => value.is_object(),
        NestedList(_) => value.is_array(),
    }
}

fn is_hook_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')
}

/// `validateVerb` of the specifications, with the path of the problem in its message.
fn check_spec(spec: &Spec, data: &Map<String, Value>, path: &str) -> Result<(), String> {
    for (key, value) in data {
        let Some((_, ty)) = spec.properties.iter().find(|(name, _)| name == key) else {
            return Err(format!("{path}: unknown property {key}"));
        };
        if !type_ok(value, *ty) {
            return Err(format!(
                "{path}: property {key} has an invalid type or value: {value}"
            ));
        }
        match (ty, value) {
            (Nested(inner), Value::Object(map)) => {
                check_spec(inner, map, &format!("{path}.{key}"))?
            }
            (NestedList(inner), Value::Array(items)) => {
                for (at, item) in items.iter().enumerate() {
                    let map = item
                        .as_object()
                        .ok_or_else(|| format!("{path}.{key}[{at}]: not an object"))?;
                    check_spec(inner, map, &format!("{path}.{key}[{at}]"))?;
                }
            }
            _ => {}
        }
    }
    if let Some(missing) = spec.required.iter().find(|name| !data.contains_key(**name)) {
        return Err(format!("{path}: missing value for {missing}"));
    }
    Ok(())
}

fn non_empty_text(value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(text)) => !text.trim().is_empty(),
        Some(Value::Array(texts)) => {
            !texts.is_empty()
                && texts
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| !t.trim().is_empty()))
        }
        _ => false,
    }
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// What the specifications let through but would break or silently lose a call.
fn check_meaning(name: &str, data: &Map<String, Value>, path: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{path}: {why}"));
    match name {
        "say" if !non_empty_text(data.get("text")) => fail("a say without text"),
        "gather" => {
            let input: Vec<&str> = data
                .get("input")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_else(|| vec!["digits"]);
            if input.is_empty() || input.iter().any(|i| !["speech", "digits"].contains(i)) {
                return fail("input must list speech and/or digits");
            }
            if let Some(say) = data.get("say").and_then(Value::as_object)
                && !non_empty_text(say.get("text"))
            {
                return fail("a nested say without text");
            }
            let hints = data
                .get("recognizer")
                .and_then(|r| r.get("hints"))
                .and_then(Value::as_array);
            if hints.is_some_and(|hints| {
                hints
                    .iter()
                    .any(|h| !(h.is_string() || h.get("phrase").is_some_and(Value::is_string)))
            }) {
                return fail("recognizer.hints holds something that is no hint");
            }
            Ok(())
        }
        "dial" => {
            let targets = data.get("target").and_then(Value::as_array);
            if targets.is_none_or(Vec::is_empty) {
                return fail("a dial without target");
            }
            for target in targets.into_iter().flatten() {
                let field = |key: &str| target.get(key).and_then(Value::as_str);
                let ok = match field("type") {
                    Some("phone") => field("number").is_some_and(is_e164),
                    Some("sip") => field("sipUri")
                        .is_some_and(|uri| uri.starts_with("sip:") || uri.starts_with("sips:")),
                    Some("user") => field("name").is_some(),
                    _ => true,
                };
                if !ok {
                    return fail(&format!("target {target} cannot be dialled"));
                }
            }
            let headers_ok = data
                .get("headers")
                .and_then(Value::as_object)
                .is_none_or(|headers| {
                    headers.iter().all(|(name, value)| {
                        value.as_str().is_some_and(|v| !v.contains(['\r', '\n']))
                            && !name.is_empty()
                            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    })
                });
            if headers_ok {
                Ok(())
            } else {
                fail("a SIP header that cannot be sent")
            }
        }
        "pause"
            if data
                .get("length")
                .and_then(Value::as_f64)
                .is_none_or(|l| l <= 0.0) =>
        {
            fail("a pause must last")
        }
        "message" if !non_empty_text(data.get("text")) => fail("a message without text"),
        _ => Ok(()),
    }
}

/// Checks an answer and gives its verbs in the `{"verb": name, …}` form (jambonz also takes
/// `{name: {…}}`).
pub fn validate(answer: &Value) -> Result<Vec<Value>, String> {
    let items = answer
        .as_array()
        .ok_or("malformed jambonz payload: must be array")?;
    let mut verbs = Vec::with_capacity(items.len());
    let mut hung_up = false;
    for (at, item) in items.iter().enumerate() {
        let object = item
            .as_object()
            .ok_or_else(|| format!("verb {at}: must be an object"))?;
        let (name, mut data) = match object.get("verb") {
            Some(Value::String(name)) => {
                let mut data = object.clone();
                data.remove("verb");
                (name.clone(), data)
            }
            Some(_) => return Err(format!("verb {at}: `verb` must be a string")),
            None if object.len() == 1 => {
                let (name, data) = object.iter().next().ok_or("empty verb")?;
                let data = data
                    .as_object()
                    .ok_or_else(|| format!("verb {at} ({name}): must be an object"))?;
                (name.clone(), data.clone())
            }
            None => return Err(format!("verb {at}: missing verb property")),
        };
        let path = format!("verb {at} ({name})");
        if hung_up {
            return Err(format!("{path}: comes after hangup and would never run"));
        }
        let spec = MODELLED
            .iter()
            .find(|spec| spec.name == name)
            .ok_or_else(|| {
                if NOT_MODELLED.contains(&name.as_str()) {
                    format!("{path}: a jambonz verb the fake does not run")
                } else {
                    format!("{path}: invalid instruction (no such jambonz verb)")
                }
            })?;
        check_spec(spec, &data, &path)?;
        check_meaning(&name, &data, &path)?;
        hung_up = name == "hangup";
        data.insert("verb".into(), Value::String(name));
        verbs.push(Value::Object(data));
    }
    Ok(verbs)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn what_guichet_sends_passes() {
        let answer = json!([
            {"verb": "gather", "input": ["speech", "digits"], "actionHook": "https://g/jambonz/gather",
             "bargein": true, "dtmfBargein": true, "numDigits": 1, "timeout": 8,
             "recognizer": {"vendor": "default", "language": "fr-FR", "hints": ["cni"], "hintsBoost": 10},
             "say": {"text": "Bonjour.", "synthesizer": {"vendor": "default", "language": "fr-FR"}}},
        ]);
        assert_eq!(validate(&answer).unwrap().len(), 1);
        let short_form = json!([{"say": {"text": "Bonjour."}}, {"hangup": {}}]);
        assert_eq!(validate(&short_form).unwrap()[1], json!({"verb": "hangup"}));
    }

    #[test]
    fn what_jambonz_would_refuse_or_lose_is_refused() {
        let refused = |answer: Value, expected: &str| {
            let error = validate(&answer).unwrap_err();
            assert!(error.contains(expected), "{error} (expected {expected})");
        };
        refused(json!({"verb": "say"}), "must be array");
        refused(
            json!([{"verb": "speak", "text": "x"}]),
            "invalid instruction",
        );
        refused(json!([{"verb": "conference", "name": "x"}]), "does not run");
        refused(
            json!([{"verb": "say", "text": "x", "bargeIn": true}]),
            "unknown property bargeIn",
        );
        refused(json!([{"verb": "say"}]), "a say without text");
        refused(json!([{"verb": "say", "text": " "}]), "a say without text");
        refused(
            json!([{"verb": "say", "text": "x", "synthesizer": {"voice": "y"}}]),
            "missing value for vendor",
        );
        refused(
            json!([{"verb": "gather", "input": ["speech"]}]),
            "missing value for actionHook",
        );
        refused(
            json!([{"verb": "gather", "actionHook": "g", "input": ["speech"]}]),
            "invalid type",
        );
        refused(
            json!([{"verb": "gather", "actionHook": "/g", "input": ["voice"]}]),
            "input",
        );
        refused(
            json!([{"verb": "gather", "actionHook": "/g", "say": {}}]),
            "nested say without text",
        );
        refused(
            json!([{"verb": "gather", "actionHook": "/g", "timeout": "8"}]),
            "invalid type",
        );
        refused(json!([{"verb": "dial", "target": []}]), "without target");
        refused(
            json!([{"verb": "dial", "target": [{"type": "phone", "number": "0130000000"}]}]),
            "cannot be dialled",
        );
        refused(
            json!([{"verb": "dial", "target": [{"type": "sip", "sipUri": "standard@pbx"}]}]),
            "cannot be dialled",
        );
        refused(
            json!([{"verb": "dial", "target": [{"type": "phone", "number": "+33130000000"}],
                        "headers": {"X-Guichet-Ticket": "a\r\nVia: x"}}]),
            "SIP header",
        );
        refused(json!([{"verb": "pause", "length": 0}]), "must last");
        refused(
            json!([{"verb": "redirect"}]),
            "missing value for actionHook",
        );
        refused(
            json!([{"verb": "message", "to": "336", "from": "VILLE"}]),
            "missing value for text",
        );
        refused(
            json!([{"verb": "hangup"}, {"verb": "say", "text": "x"}]),
            "after hangup",
        );
        refused(
            json!([{"verb": "say", "text": "x", "voice": "y"}]),
            "unknown property voice",
        );
    }
}
