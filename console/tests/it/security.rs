//! Security of the console: CSRF, roles, commune isolation, login throttling, session expiry,
//! cookie flags, and the ticket claim/close flow — driving the router in memory, on SQLite and
//! on PostgreSQL.

use crate::common;

use axum::http::StatusCode;
use common::{
    Backend, Client, account, closed_hours_call, harness_on, on_both_backends, signed_in,
};
use guichet_console::ConsoleConfig;
use guichet_office::accounts;
use guichet_store::{AuditStore, Role, StaffStore, TicketState, TicketStore};

async fn login_then_queue_then_claim_and_close(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (email, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let id = closed_hours_call(
        &h,
        "villebourg",
        "CA-1",
        "+33612345678",
        "Acte de naissance",
    )
    .await;
    let mut client = Client::new(&h);
    let login = client.login(&email, &password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let home = client.get("/console/").await;
    assert_eq!(home.location().as_deref(), Some("/console/file"));
    let queue = client.get("/console/file").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Acte de naissance"));
    assert!(queue.body.contains("+33612345678"));
    let ticket = client.get(&format!("/console/tickets/{id}")).await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert!(ticket.body.contains("Prendre en charge"));
    let csrf = ticket.csrf().expect("csrf");
    let claimed = client
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.body);
    let again = client
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let note = client
        .post(
            &format!("/console/tickets/{id}/note"),
            &[("csrf", &csrf), ("body", "Rappelé, message laissé")],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER);
    let closed = client
        .post(
            &format!("/console/tickets/{id}/terminer"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let stored = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(stored.state, TicketState::Termine);
    let audit = h
        .store
        .list_audit(&["villebourg".into()], None, 50)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.entry.action.as_str()).collect();
    for expected in ["ticket.view", "ticket.claim", "ticket.note", "ticket.close"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let queue = client.get("/console/file").await;
    assert!(
        !queue.body.contains("Acte de naissance"),
        "a closed ticket leaves the queue"
    );
}

async fn forms_without_the_csrf_token_are_rejected(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (email, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let id = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    let mut client = Client::new(&h);
    client.login(&email, &password).await;
    let missing = client
        .post(&format!("/console/tickets/{id}/prendre"), &[])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(
        missing.body.contains("jeton de sécurité"),
        "French message: {}",
        missing.body
    );
    let wrong = client
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", "0000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let logout = client.post("/console/deconnexion", &[]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    let stored = h
        .store
        .get_ticket(id, &["villebourg".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(
        stored.state,
        TicketState::Nouveau,
        "a rejected form changes nothing"
    );

    // The token of another session is not accepted either.
    let mut other = signed_in(
        &h,
        "autre@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let other_token = other.csrf("/console/file").await;
    let foreign = client
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &other_token)],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);

    // The login form has its own token (double-submit cookie).
    let mut anonymous = Client::new(&h);
    let forged = anonymous
        .post(
            "/console/connexion",
            &[("email", &email), ("password", &password), ("csrf", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn roles_are_enforced(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (agent, agent_pw) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let (operator, operator_pw) = account(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let (admin, admin_pw) =
        account(&h, "admin@villebourg.example", Role::Admin, &["villebourg"]).await;
    let id = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;

    let mut standardiste = Client::new(&h);
    standardiste.login(&agent, &agent_pw).await;
    for page in [
        "/console/statistiques",
        "/console/evaluation",
        "/console/comptes",
    ] {
        assert_eq!(
            standardiste.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let csrf = standardiste.csrf("/console/file").await;
    let create = standardiste
        .post(
            "/console/comptes",
            &[
                ("csrf", &csrf),
                ("email", "x@y.example"),
                ("role", "admin"),
                ("commune", "villebourg"),
            ],
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);

    let mut operateur = Client::new(&h);
    operateur.login(&operator, &operator_pw).await;
    assert_eq!(
        operateur.get("/console/file").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        operateur
            .get(&format!("/console/tickets/{id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        operateur.get("/console/comptes").await.status,
        StatusCode::FORBIDDEN
    );
    let stats = operateur.get("/console/statistiques").await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    assert!(stats.body.contains("taux de perte"));
    assert_eq!(
        operateur.get("/console/evaluation").await.status,
        StatusCode::OK
    );
    let csrf = stats.csrf().expect("csrf");
    let claim = operateur
        .post(
            &format!("/console/tickets/{id}/prendre"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(claim.status, StatusCode::FORBIDDEN);

    let mut administrator = Client::new(&h);
    administrator.login(&admin, &admin_pw).await;
    let accounts = administrator.get("/console/comptes").await;
    assert_eq!(accounts.status, StatusCode::OK);
    let csrf = accounts.csrf().expect("csrf");
    let created = administrator
        .post(
            "/console/comptes",
            &[
                ("csrf", &csrf),
                ("email", "Nouveau@Villebourg.example"),
                ("role", "standardiste"),
                ("commune", "villebourg"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(created.body.contains("une seule fois"));
    let staff = h
        .store
        .get_staff_by_email("nouveau@villebourg.example")
        .await
        .expect("store")
        .expect("created");
    assert_eq!(staff.role, Role::Standardiste);
    // An admin cannot create accounts for a commune that is not theirs.
    let outside = administrator
        .post(
            "/console/comptes",
            &[
                ("csrf", &csrf),
                ("email", "z@z.example"),
                ("role", "admin"),
                ("commune", "autreville"),
            ],
        )
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    // Disabling an account ends its sessions.
    let disabled = administrator
        .post(
            &format!("/console/comptes/{}/desactiver", staff.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let agent_account = h
        .store
        .get_staff_by_email(&agent)
        .await
        .expect("store")
        .expect("agent");
    administrator
        .post(
            &format!("/console/comptes/{}/desactiver", agent_account.id),
            &[("csrf", &csrf)],
        )
        .await;
    let after = standardiste.get("/console/file").await;
    assert_eq!(after.location().as_deref(), Some("/console/connexion"));
}

async fn another_communes_tickets_are_invisible(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (agent, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let theirs = closed_hours_call(
        &h,
        "autreville",
        "CB-1",
        "+33698765432",
        "Cimetière d'Autreville",
    )
    .await;
    let ours = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    let mut client = Client::new(&h);
    client.login(&agent, &password).await;
    let queue = client.get("/console/file").await;
    assert!(queue.body.contains("Voirie"));
    assert!(!queue.body.contains("Cimetière"));
    assert!(!queue.body.contains("+33698765432"));
    assert_eq!(
        client
            .get(&format!("/console/tickets/{theirs}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get(&format!("/console/tickets/{ours}")).await.status,
        StatusCode::OK
    );
    let csrf = client.csrf("/console/file").await;
    for action in ["prendre", "terminer", "injoignable"] {
        let response = client
            .post(
                &format!("/console/tickets/{theirs}/{action}"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{action}");
    }
    let note = client
        .post(
            &format!("/console/tickets/{theirs}/note"),
            &[("csrf", &csrf), ("body", "x")],
        )
        .await;
    assert_eq!(note.status, StatusCode::NOT_FOUND);
    let stored = h
        .store
        .get_ticket(theirs, &["autreville".into()])
        .await
        .expect("store")
        .expect("ticket");
    assert_eq!(stored.state, TicketState::Nouveau);
    // Statistics of another commune are refused to an operator too.
    let mut operator = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    assert_eq!(
        operator
            .get("/console/statistiques?commune=autreville")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        operator
            .get("/console/evaluation?commune=autreville")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn brute_force_logins_are_throttled(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (agent, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut attacker = Client::new(&h);
    for _ in 0..5 {
        let page = attacker.login(&agent, "not-the-password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("incorrect"));
    }
    let blocked = attacker.login(&agent, &password).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Trop de tentatives"));
    // The attacker cannot lock the agent out: from elsewhere, the right password works.
    let mut owner = Client::new(&h);
    owner.ip = "198.51.100.7".into();
    assert_eq!(
        owner.login(&agent, &password).await.status,
        StatusCode::SEE_OTHER
    );
    // Per address: the same address cannot spray other accounts for long.
    let mut sprayed = Vec::new();
    for n in 0..20 {
        sprayed.push(
            attacker
                .login(&format!("someone{n}@villebourg.example"), "x")
                .await
                .status,
        );
    }
    assert_eq!(sprayed[0], StatusCode::UNAUTHORIZED);
    assert_eq!(sprayed[19], StatusCode::TOO_MANY_REQUESTS, "{sprayed:?}");
    // Guesses spread over many addresses: the account is closed to new addresses…
    for n in 0..25 {
        let mut bot = Client::new(&h);
        bot.ip = format!("203.0.113.{n}");
        bot.login(&agent, "guess").await;
    }
    let mut newcomer = Client::new(&h);
    newcomer.ip = "203.0.113.200".into();
    assert_eq!(
        newcomer.login(&agent, &password).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …but not to the address the agent signs in from.
    let mut owner_again = Client::new(&h);
    owner_again.ip = "198.51.100.7".into();
    assert_eq!(
        owner_again.login(&agent, &password).await.status,
        StatusCode::SEE_OTHER
    );
    // After the window, the attacker's address may try again.
    h.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        attacker.login(&agent, &password).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn sessions_expire_when_idle(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await; // idle timeout 30 min, maximum 12 h
    let (agent, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&h);
    client.login(&agent, &password).await;
    // Activity keeps the session alive past the initial idle timeout.
    for _ in 0..4 {
        h.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(client.get("/console/file").await.status, StatusCode::OK);
    }
    h.clock.advance(chrono::Duration::minutes(31));
    let expired = client.get("/console/file").await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);
    assert_eq!(expired.location().as_deref(), Some("/console/connexion"));

    // The maximum length holds even with constant activity.
    let short = harness_on(
        &backend,
        ConsoleConfig {
            session_max: std::time::Duration::from_secs(3600),
            ..ConsoleConfig::default()
        },
    )
    .await;
    let (agent, password) = account(
        &short,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&short);
    client.login(&agent, &password).await;
    for _ in 0..2 {
        short.clock.advance(chrono::Duration::minutes(25));
        assert_eq!(client.get("/console/file").await.status, StatusCode::OK);
    }
    short.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(
        client.get("/console/file").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn logout_ends_the_session(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let mut client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let saved_cookies = client.cookies.clone();
    let csrf = client.csrf("/console/file").await;
    let out = client
        .post("/console/deconnexion", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.location().as_deref(), Some("/console/connexion"));
    // Replaying the old cookie does not work.
    client.cookies = saved_cookies;
    assert_eq!(
        client.get("/console/file").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn cookies_are_http_only_strict_and_secure_behind_https(backend: Backend) {
    let h = harness_on(
        &backend,
        ConsoleConfig {
            public_url: "https://guichet.villebourg.example".into(),
            ..ConsoleConfig::default()
        },
    )
    .await;
    let (agent, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&h);
    let login = client.login(&agent, &password).await;
    let session = login
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("guichet_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(session.contains("Secure"), "{session}");
    assert!(session.contains("Path=/console"), "{session}");

    let plain = harness_on(&backend, ConsoleConfig::default()).await;
    let (agent, password) = account(
        &plain,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&plain);
    let login = client.login(&agent, &password).await;
    let session = login
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("guichet_session="))
        .expect("session cookie");
    assert!(!session.contains("Secure"), "{session}");
}

async fn pages_require_login(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let mut client = Client::new(&h);
    for page in [
        "/console/",
        "/console/file",
        "/console/file/flux",
        "/console/tickets/1",
        "/console/statistiques",
        "/console/comptes",
    ] {
        let response = client.get(page).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            response.location().as_deref(),
            Some("/console/connexion"),
            "{page}"
        );
    }
    let css = client.get("/console/static/console.css").await;
    assert_eq!(css.status, StatusCode::OK);
}

/// A page's HTML with the templates' escapes of `/` and `'` undone.
fn unescaped(page: &common::Page) -> String {
    page.body.replace("&#x2f;", "/").replace("&#x27;", "'")
}

/// The one-time password shown on an account page.
fn shown_password(body: &str) -> String {
    let marker = "id=\"one-time-password\">";
    let start = body.find(marker).expect("a one-time password shown") + marker.len();
    let end = body[start..].find('<').expect("its end") + start;
    body[start..end].to_string()
}

async fn a_one_time_password_opens_one_session_only(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let created = accounts::add_staff(
        &h.store,
        "nouvelle@villebourg.example",
        Role::Standardiste,
        &["villebourg".to_string()],
        h.clock.now(),
    )
    .await
    .expect("account");
    let mut first = Client::new(&h);
    let login = first.login(&created.email, &created.password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    assert!(
        login
            .location()
            .is_some_and(|to| to.ends_with("/mot-de-passe"))
    );
    // Someone who read the password over the shoulder comes second: refused, in French.
    let mut second = Client::new(&h);
    second.ip = "192.0.2.99".into();
    let again = second.login(&created.email, &created.password).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    assert!(again.body.contains("a déjà servi"), "{}", again.body);
    // The first session still chooses its password with it.
    let csrf = first.csrf("/console/mot-de-passe").await;
    let chosen = "un mot de passe bien à moi";
    let changed = first
        .post(
            "/console/mot-de-passe",
            &[
                ("csrf", csrf.as_str()),
                ("current", created.password.as_str()),
                ("new", chosen),
                ("confirm", chosen),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(first.get("/console/file").await.status, StatusCode::OK);

    // Five logins at once (the throttle's limit) with a fresh one-time password: one session.
    let other = accounts::add_staff(
        &h.store,
        "autre@villebourg.example",
        Role::Standardiste,
        &["villebourg".to_string()],
        h.clock.now(),
    )
    .await
    .expect("account");
    let logins = (0..5).map(|i| {
        let (email, password) = (other.email.clone(), other.password.clone());
        let h = &h;
        async move {
            let mut client = Client::new(h);
            client.ip = format!("192.0.2.{}", 20 + i);
            client.login(&email, &password).await.status
        }
    });
    let statuses = futures_util::future::join_all(logins).await;
    let opened = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(opened, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| matches!(*s, StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED)),
        "{statuses:?}"
    );
}

async fn an_admin_resets_a_password_and_re_enables_an_account(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let mut admin = signed_in(&h, "admin@villebourg.example", Role::Admin, &["villebourg"]).await;
    let (agent_email, agent_password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let agent = h
        .store
        .get_staff_by_email(&agent_email)
        .await
        .expect("read")
        .expect("agent");
    let mut agent_client = Client::new(&h);
    assert_eq!(
        agent_client
            .login(&agent_email, &agent_password)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let csrf = admin.csrf("/console/comptes").await;
    let disabled = admin
        .post(
            &format!("/console/comptes/{}/desactiver", agent.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let list = admin.get("/console/comptes").await;
    assert!(
        unescaped(&list).contains(&format!("/console/comptes/{}/reactiver", agent.id)),
        "{}",
        list.body
    );
    assert_eq!(
        Client::new(&h)
            .login(&agent_email, &agent_password)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Re-enabled: the same password works again.
    let enabled = admin
        .post(
            &format!("/console/comptes/{}/reactiver", agent.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    let mut agent_client = Client::new(&h);
    assert_eq!(
        agent_client
            .login(&agent_email, &agent_password)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Reset: a new one-time password, shown once; the old password and session are over.
    let reset = admin
        .post(
            &format!("/console/comptes/{}/reinitialiser", agent.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert!(reset.body.contains("Mot de passe réinitialisé"));
    let new_password = shown_password(&reset.body);
    assert_ne!(new_password, agent_password);
    assert_eq!(
        agent_client.get("/console/file").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        Client::new(&h)
            .login(&agent_email, &agent_password)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let login = Client::new(&h).login(&agent_email, &new_password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert!(
        login
            .location()
            .is_some_and(|to| to.ends_with("/mot-de-passe"))
    );
    assert_eq!(
        Client::new(&h)
            .login(&agent_email, &new_password)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the reset password is single-use too"
    );
    // Without the form's token, or on one's own account, or by a non-admin: refused.
    let no_csrf = admin
        .post(&format!("/console/comptes/{}/reinitialiser", agent.id), &[])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let me = h
        .store
        .get_staff_by_email("admin@villebourg.example")
        .await
        .expect("read")
        .expect("admin");
    let own = admin
        .post(
            &format!("/console/comptes/{}/reinitialiser", me.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let mut ops = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    let ops_csrf = ops.csrf("/console/statistiques").await;
    let by_ops = ops
        .post(
            &format!("/console/comptes/{}/reinitialiser", agent.id),
            &[("csrf", &ops_csrf)],
        )
        .await;
    assert_eq!(by_ops.status, StatusCode::FORBIDDEN);
    let audit = h
        .store
        .list_audit(&["villebourg".into()], Some("staff."), 50)
        .await
        .expect("audit");
    for action in ["staff.disable", "staff.enable", "staff.password_reset"] {
        assert!(audit.iter().any(|a| a.entry.action == action), "{action}");
    }
}

/// Every error answer of the console is a French page in its layout, with no technical text.
fn assert_french_error_page(page: &common::Page, title: &str) {
    let body = unescaped(page);
    assert!(body.contains("<html lang=\"fr\">"), "{body}");
    assert!(body.contains("/console/static/console.css"), "{body}");
    assert!(body.contains(title), "{title}: {body}");
    for english in [
        "Failed",
        "Error",
        "length limit",
        "Invalid",
        "Not Found",
        "panicked",
    ] {
        assert!(!page.body.contains(english), "{english}: {}", page.body);
    }
    let kind = page
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.headers.get("content-security-policy").is_some());
}

#[tokio::test]
async fn error_pages_are_french_and_styled() {
    let h = harness_on(&Backend::Sqlite, ConsoleConfig::default()).await;
    let mut anonymous = Client::new(&h);
    let unknown = anonymous.get("/console/nulle-part").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_french_error_page(&unknown, "Page introuvable");
    // A login form over the size limit.
    let form = anonymous.get("/console/connexion").await;
    let token = form.csrf().expect("token");
    let huge = "x".repeat(3 * 1024 * 1024);
    let too_big = anonymous
        .post(
            "/console/connexion",
            &[("email", "a@b.fr"), ("password", &huge), ("csrf", &token)],
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_french_error_page(&too_big, "Envoi trop volumineux");
    // A login form without its token.
    let forged = anonymous
        .post(
            "/console/connexion",
            &[("email", "a@b.fr"), ("password", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_french_error_page(&forged, "jeton de sécurité");

    let mut agent = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let not_a_number = agent.get("/console/tickets/abc").await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    assert_french_error_page(&not_a_number, "Requête invalide");
    let forbidden = agent.get("/console/comptes").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_french_error_page(&forbidden, "Accès refusé");
    let wrong_method = agent.post("/console/statistiques", &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_french_error_page(&wrong_method, "Action impossible");
    let missing = agent.get("/console/tickets/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_french_error_page(&missing, "Page introuvable");
    // The store gone: an internal error, said in French with nothing of its cause.
    h.store.close().await;
    let broken = agent.get("/console/file").await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_french_error_page(&broken, "Erreur interne");
    assert!(
        !broken.body.contains("pool") && !broken.body.contains("sqlx"),
        "{}",
        broken.body
    );
}

on_both_backends!(
    login_then_queue_then_claim_and_close,
    forms_without_the_csrf_token_are_rejected,
    roles_are_enforced,
    another_communes_tickets_are_invisible,
    brute_force_logins_are_throttled,
    sessions_expire_when_idle,
    logout_ends_the_session,
    cookies_are_http_only_strict_and_secure_behind_https,
    pages_require_login,
    a_one_time_password_opens_one_session_only,
    an_admin_resets_a_password_and_re_enables_an_account,
);
