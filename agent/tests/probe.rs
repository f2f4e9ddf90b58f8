mod common;
#[test]
fn probe() {
    let Ok(queries) = std::env::var("PROBE") else { return };
    for q in queries.split('|') {
        let hits = common::demo().search(q);
        println!("PROBE {q}: {:?}", hits.iter().map(|h| format!("{} {:.3}", h.fiche_id, h.confidence)).collect::<Vec<_>>());
    }
}
