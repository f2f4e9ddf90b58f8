//! Suite tests of one-time passwords (spent by one login only, even among concurrent ones),
//! administrators' resets, and reading one evaluation run.

use std::sync::Arc;

use guichet_store::*;
use serde_json::json;

use super::{secs, staff, t0};

const ONE_TIME: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$b25lLXRpbWU";

async fn one_time_account<S: Store>(store: &S, email: &str) -> i64 {
    store
        .create_staff(&NewStaff {
            password_hash: ONE_TIME.into(),
            must_change_password: true,
            ..staff(email, Role::Standardiste, &["demo"])
        })
        .await
        .expect("create")
}

pub async fn a_one_time_password_serves_one_login_only<S: Store + Clone + 'static>(store: &S) {
    let id = one_time_account(store, "nouvelle@villebourg.fr").await;
    // A stale hash (the password changed meanwhile) spends nothing.
    assert!(
        !store
            .consume_one_time_password(id, "$argon2id$other")
            .await
            .unwrap()
    );
    // Twenty logins at once with the right password: one wins.
    let store_arc = Arc::new(store.clone());
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store_arc);
            tokio::spawn(async move { store.consume_one_time_password(id, ONE_TIME).await })
        })
        .collect();
    let mut winners = 0;
    for login in logins {
        if login.await.expect("join").expect("consume") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one login spends the one-time password");
    assert!(!store.consume_one_time_password(id, ONE_TIME).await.unwrap());
    assert!(!store.consume_one_time_password(-1, ONE_TIME).await.unwrap());

    // The account chooses its own password: it is no one-time password.
    assert!(store.set_staff_password(id, "$argon2id$own").await.unwrap());
    assert!(
        !store
            .consume_one_time_password(id, "$argon2id$own")
            .await
            .unwrap()
    );

    // An administrator's reset: a fresh one-time password, usable once; sessions end.
    store
        .create_staff_session(&StaffSession {
            token_hash: "session-of-nouvelle".into(),
            staff_id: id,
            csrf_token: "csrf".into(),
            created_at: t0(),
            expires_at: t0() + secs(3600),
        })
        .await
        .unwrap();
    assert!(
        store
            .reset_staff_password(id, "$argon2id$reset")
            .await
            .unwrap()
    );
    assert!(
        !store
            .reset_staff_password(-1, "$argon2id$reset")
            .await
            .unwrap()
    );
    let reset = store.get_staff(id).await.unwrap().expect("the account");
    assert!(reset.must_change_password);
    assert_eq!(reset.password_hash, "$argon2id$reset");
    assert_eq!(
        store
            .get_staff_session("session-of-nouvelle", t0() + secs(1))
            .await
            .unwrap(),
        None,
        "a reset ends the account's sessions"
    );
    assert!(
        store
            .consume_one_time_password(id, "$argon2id$reset")
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_one_time_password(id, "$argon2id$reset")
            .await
            .unwrap()
    );
    // A reset does not touch a disabled account's state: re-enabling is its own act.
    assert!(store.set_staff_disabled(id, true).await.unwrap());
    assert!(
        store
            .reset_staff_password(id, "$argon2id$again")
            .await
            .unwrap()
    );
    assert!(
        store
            .get_staff(id)
            .await
            .unwrap()
            .expect("the account")
            .disabled
    );
    assert!(store.set_staff_disabled(id, false).await.unwrap());
    assert!(
        !store
            .get_staff(id)
            .await
            .unwrap()
            .expect("the account")
            .disabled
    );
}

pub async fn one_eval_run_is_read_within_its_commune<S: Store>(store: &S) {
    let run = NewEvalRun {
        at: t0(),
        commune: "demo".into(),
        metrics: json!({ "1_fiches_justes": 0.97 }),
        report: json!({ "format": 1 }),
    };
    let id = store.insert_eval_run(&run).await.unwrap();
    let read = store
        .get_eval_run("demo", id)
        .await
        .unwrap()
        .expect("the run");
    assert_eq!(read.id, id);
    assert_eq!(read.run, run);
    assert_eq!(store.get_eval_run("autreville", id).await.unwrap(), None);
    assert_eq!(store.get_eval_run("demo", id + 1).await.unwrap(), None);
}
