//! `Engine::turn` on the demo commune, over a mix of typical turns: a direct answer, a
//! clarification and its short reply, a deflection, a handoff, an out-of-scope request, a
//! goodbye. Criterion gives the means; a sampled loop prints the p99 (target ≤ 300 µs).

use std::hint::black_box;
use std::time::Instant;

use chrono::TimeZone;
use criterion::{Criterion, criterion_group, criterion_main};
use guichet_agent::{Channel, Context, Engine, Inbound, LineType, Session};
use guichet_knowledge::Knowledge;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../communes/demo");

/// (session before the turn, message) pairs.
fn cases(engine: &Engine, ctx: &Context) -> Vec<(&'static str, Session, Inbound)> {
    let message = |text: &str| Inbound {
        tenant: "demo".into(),
        channel: Channel::Voice,
        conversation_id: "bench".into(),
        from: "+33612345678".into(),
        text: text.into(),
        asr_confidence: Some(0.9),
        dtmf: None,
    };
    let (fresh, _) = engine.start(&message(""), ctx);
    let (clarifying, _) = engine.turn(&fresh, &message("je voudrais refaire mon passeport"), ctx);
    let (answered, _) = engine.turn(
        &fresh,
        &message("quels sont les horaires de la mairie"),
        ctx,
    );
    vec![
        (
            "answer",
            fresh.clone(),
            message("bonjour je voudrais savoir à quelle heure ouvre la mairie le samedi"),
        ),
        (
            "clarify",
            fresh.clone(),
            message("oui je voudrais refaire mon passeport s'il vous plaît"),
        ),
        ("clarify_reply", clarifying, message("il est expiré")),
        (
            "deflect",
            fresh.clone(),
            message("mon voisin a déposé des déchets devant chez moi, c'est un dépôt sauvage"),
        ),
        (
            "handoff",
            fresh.clone(),
            message("je voudrais parler à un agent"),
        ),
        (
            "out_of_scope",
            fresh.clone(),
            message("quelle est la capitale de l'Australie"),
        ),
        ("goodbye", answered, message("non merci au revoir")),
        (
            "long",
            fresh,
            message(
                "oui bonjour madame alors voilà euh je vous appelle parce que ma fille elle est étudiante et sa carte d'identité elle est périmée depuis le mois de janvier",
            ),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let knowledge = match Knowledge::load(std::path::Path::new(DEMO)) {
        Ok(knowledge) => knowledge,
        Err(error) => panic!("demo commune: {error}"),
    };
    let now = chrono_tz::Europe::Paris
        .with_ymd_and_hms(2026, 3, 10, 10, 15, 0)
        .single()
        .map(|at| at.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let ctx = Context {
        now,
        line: LineType::Mobile,
        knowledge: &knowledge,
        report_channels: &[],
    };
    let engine = Engine::default();
    let cases = cases(&engine, &ctx);

    let mut group = c.benchmark_group("turn");
    for (name, session, inbound) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| engine.turn(black_box(session), black_box(inbound), &ctx))
        });
    }
    group.finish();

    // p99 over a sampled loop of the mix.
    let mut samples = Vec::with_capacity(cases.len() * 500);
    for _ in 0..500 {
        for (_, session, inbound) in &cases {
            let started = Instant::now();
            black_box(engine.turn(session, inbound, &ctx));
            samples.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "turn mix over {} samples: p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
