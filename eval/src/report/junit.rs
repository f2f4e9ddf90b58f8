//! JUnit XML for CI dashboards: one test case per dialogue, failing turns in the failure message.

use minijinja::{Environment, context};
use serde::Serialize;

use super::{Report, describe};

const TEMPLATE: &str = include_str!("../../templates/junit.xml");

#[derive(Serialize)]
struct Case {
    classname: String,
    name: String,
    file: String,
    time: String,
    failure: bool,
    message: String,
    details: String,
}

pub fn render(report: &Report) -> Result<String, minijinja::Error> {
    let cases: Vec<Case> = report
        .dialogues
        .iter()
        .map(|run| {
            let failing: Vec<_> = run.failing().collect();
            let mut message: Vec<String> = failing
                .iter()
                .map(|turn| {
                    format!(
                        "tour {} : {}",
                        turn.number,
                        turn.verdict.failures.join(" ; ")
                    )
                })
                .collect();
            if let Some(error) = &run.start_error {
                message.insert(0, format!("début d'appel : {error}"));
            }
            let details = failing
                .iter()
                .map(|turn| {
                    format!(
                        "tour {} : « {} »\n  attendu : {}\n  obtenu  : {}\n  dit     : « {} »",
                        turn.number,
                        turn.caller,
                        turn.expect
                            .as_ref()
                            .map(describe::expected)
                            .unwrap_or_default(),
                        describe::got(turn),
                        describe::said(turn)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let seconds: u64 = run.turns.iter().map(|turn| turn.latency_us).sum();
            Case {
                classname: format!(
                    "dialogues.{}",
                    run.id.trim_end_matches(".yaml").replace(['/', '.'], "_")
                ),
                name: run.name.clone(),
                file: run.id.clone(),
                time: format!("{:.6}", seconds as f64 / 1e6),
                failure: !run.passed,
                message: message.join(" | "),
                details,
            }
        })
        .collect();
    let failures = cases.iter().filter(|case| case.failure).count();
    let total_us: u64 = report
        .dialogues
        .iter()
        .flat_map(|run| &run.turns)
        .map(|turn| turn.latency_us)
        .sum();
    let mut env = Environment::new();
    env.add_template("junit.xml", TEMPLATE)?;
    env.get_template("junit.xml")?.render(context! {
        tests => cases.len(),
        failures,
        time => format!("{:.6}", total_us as f64 / 1e6),
        timestamp => report.generated_at,
        commune => report.commune,
        cases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn one_testcase_per_dialogue_and_well_formed() {
        let mut report = sample_report();
        report.dialogues[1].name = "Carte grise <urgent> & \"vite\"".into();
        let xml = render(&report).unwrap();
        let document = roxmltree::Document::parse(&xml).unwrap();
        let cases: Vec<_> = document
            .descendants()
            .filter(|node| node.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 3);
        assert_eq!(
            cases[1].attribute("name"),
            Some("Carte grise <urgent> & \"vite\"")
        );
        let failure = cases[1]
            .children()
            .find(|node| node.has_tag_name("failure"))
            .unwrap();
        let message = failure.attribute("message").unwrap();
        assert!(
            message.contains("tour 1 : action : attendu deflect, obtenu answer"),
            "{message}"
        );
        assert!(failure.text().unwrap().contains("« ma carte grise »"));
        assert!(
            cases[0]
                .children()
                .all(|node| !node.has_tag_name("failure"))
        );
        let suite = document
            .descendants()
            .find(|node| node.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("failures"), Some("2"));
    }
}
