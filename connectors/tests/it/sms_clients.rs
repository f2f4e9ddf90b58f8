//! The SMS clients (Twilio, Vonage, jambonz) against the fake provider: exact wire formats, auth,
//! and failure classification.

use std::time::Duration;

use guichet_connectors::jambonz::JambonzClient;
use guichet_connectors::testkit::{Credentials, FakeProvider, Fault};
use guichet_connectors::twilio::TwilioClient;
use guichet_connectors::vonage::VonageClient;
use guichet_connectors::{OutboundSms, SendError, SmsClient};

fn sms(reference: &str) -> OutboundSms {
    OutboundSms {
        reference: reference.into(),
        to: "+33612345678".into(),
        from: "VILLEBOURG".into(),
        text: "Mairie de Villebourg : prenez rendez-vous sur https://villebourg.example/passeport"
            .into(),
    }
}

fn twilio(fake: &FakeProvider, token: &str, timeout: Duration) -> SmsClient {
    let c = fake.credentials();
    SmsClient::new(
        TwilioClient::new(
            &fake.base_url(),
            &c.twilio_account_sid,
            token,
            Some("https://guichet.example/twilio/status".into()),
            timeout,
        )
        .unwrap(),
    )
}

fn vonage(fake: &FakeProvider, secret: &str) -> SmsClient {
    let c = fake.credentials();
    SmsClient::new(
        VonageClient::new(
            &fake.base_url(),
            &c.vonage_api_key,
            secret,
            Duration::from_secs(5),
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn twilio_send_is_accepted_and_recorded() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let client = twilio(
        &fake,
        &fake.credentials().twilio_auth_token.clone(),
        Duration::from_secs(5),
    );
    let accepted = client.send(&sms("out-1")).await.unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].id, accepted.provider_id);
    assert!(accepted.provider_id.starts_with("SM"));
    assert_eq!(received[0].to, "+33612345678");
    assert_eq!(received[0].from, "VILLEBOURG");
    assert_eq!(
        received[0].status_callback.as_deref(),
        Some("https://guichet.example/twilio/status")
    );
    assert!(fake.rejections().is_empty());
}

#[tokio::test]
async fn vonage_send_is_accepted_and_recorded() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let client = vonage(&fake, &fake.credentials().vonage_api_secret.clone());
    let accepted = client.send(&sms("out-2")).await.unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].provider, "vonage");
    assert_eq!(received[0].id, accepted.provider_id);
    assert_eq!(received[0].to, "+33612345678");
    assert_eq!(received[0].client_ref.as_deref(), Some("out-2"));
}

#[tokio::test]
async fn bad_credentials_and_bad_numbers_are_permanent() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let wrong = twilio(&fake, "not-the-token", Duration::from_secs(5));
    assert!(matches!(
        wrong.send(&sms("a")).await,
        Err(SendError::Permanent { .. })
    ));
    let wrong = vonage(&fake, "not-the-secret");
    assert!(matches!(
        wrong.send(&sms("b")).await,
        Err(SendError::Permanent { .. })
    ));
    let good = twilio(
        &fake,
        &fake.credentials().twilio_auth_token.clone(),
        Duration::from_secs(5),
    );
    let landline_typo = OutboundSms {
        to: "0612345678".into(),
        ..sms("c")
    };
    assert!(matches!(
        good.send(&landline_typo).await,
        Err(SendError::Permanent { .. })
    ));
    assert!(fake.received().is_empty());
    assert_eq!(fake.rejections().len(), 3);
}

#[tokio::test]
async fn server_errors_throttling_and_timeouts_are_transient() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let client = twilio(
        &fake,
        &fake.credentials().twilio_auth_token.clone(),
        Duration::from_millis(200),
    );
    fake.push_faults([
        Fault::Status(500),
        Fault::TooManyRequests {
            retry_after_seconds: 3,
        },
        Fault::Hang(Duration::from_millis(600)),
        Fault::Status(400),
    ]);
    assert!(matches!(
        client.send(&sms("x")).await,
        Err(SendError::Transient {
            retry_after: None,
            ..
        })
    ));
    assert_eq!(
        client.send(&sms("x")).await.err().and_then(|e| match e {
            SendError::Transient { retry_after, .. } => retry_after,
            SendError::Permanent { .. } => None,
        }),
        Some(Duration::from_secs(3))
    );
    let timeout = client.send(&sms("x")).await;
    assert!(
        matches!(&timeout, Err(SendError::Transient { reason, .. }) if reason.starts_with("timeout")),
        "{timeout:?}"
    );
    assert!(matches!(
        client.send(&sms("x")).await,
        Err(SendError::Permanent { .. })
    ));
    assert!(client.send(&sms("x")).await.is_ok());
    assert_eq!(fake.received().len(), 1);
    assert_eq!(fake.attempts(), 5);
}

fn jambonz(fake: &FakeProvider, api_key: &str, carrier: Option<&str>) -> SmsClient {
    let c = fake.credentials();
    SmsClient::new(
        JambonzClient::new(
            &fake.base_url(),
            &c.jambonz_account_sid,
            api_key,
            carrier.map(str::to_string),
            Duration::from_millis(500),
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn jambonz_send_is_accepted_in_smpp_spelling() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let client = jambonz(&fake, &fake.credentials().jambonz_api_key.clone(), None);
    assert_eq!(client.provider(), "jambonz");
    let accepted = client.send(&sms("out-3")).await.unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1, "{:?}", fake.rejections());
    assert_eq!(received[0].provider, "jambonz");
    assert_eq!(received[0].id, accepted.provider_id);
    assert_eq!(received[0].to, "+33612345678");
    assert_eq!(received[0].from, "VILLEBOURG");
    // A named SMPP carrier is a property jambonz's message verb knows.
    let with_carrier = jambonz(
        &fake,
        &fake.credentials().jambonz_api_key.clone(),
        Some("operateur-fr"),
    );
    with_carrier.send(&sms("out-4")).await.unwrap();
    let numbered = OutboundSms {
        from: "+33130000001".into(),
        ..sms("out-5")
    };
    client.send(&numbered).await.unwrap();
    assert_eq!(fake.received()[2].from, "33130000001");
    assert!(fake.rejections().is_empty());
}

#[tokio::test]
async fn jambonz_failures_are_classified_for_the_outbox() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let wrong = jambonz(&fake, "not-the-key", None);
    assert!(matches!(
        wrong.send(&sms("a")).await,
        Err(SendError::Permanent { .. })
    ));
    let client = jambonz(&fake, &fake.credentials().jambonz_api_key.clone(), None);
    let landline_typo = OutboundSms {
        to: "0612345678".into(),
        ..sms("b")
    };
    assert!(matches!(
        client.send(&landline_typo).await,
        Err(SendError::Permanent { .. })
    ));
    fake.push_faults([
        Fault::Status(480),
        Fault::Status(503),
        Fault::TooManyRequests {
            retry_after_seconds: 7,
        },
        Fault::Hang(Duration::from_millis(1000)),
    ]);
    assert!(
        client.send(&sms("c")).await.unwrap_err().is_transient(),
        "480: temporary failure"
    );
    assert!(client.send(&sms("c")).await.unwrap_err().is_transient());
    assert_eq!(
        client.send(&sms("c")).await.err().and_then(|e| match e {
            SendError::Transient { retry_after, .. } => retry_after,
            SendError::Permanent { .. } => None,
        }),
        Some(Duration::from_secs(7))
    );
    let timeout = client.send(&sms("c")).await;
    assert!(
        matches!(&timeout, Err(SendError::Transient { reason, .. }) if reason.starts_with("timeout")),
        "{timeout:?}"
    );
    assert!(client.send(&sms("c")).await.is_ok());
    assert_eq!(fake.received().len(), 1);
    assert_eq!(fake.rejections().len(), 2);
}
